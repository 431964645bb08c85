package lims.kernel;

/**
 * Marker of every command, reply, event and state that crosses a node boundary or enters
 * the journal. serialization.conf binds it to Jackson CBOR; Java serialization stays off,
 * so a message that forgets this marker fails loudly in tests instead of in production.
 */
public interface CborSerializable {}
