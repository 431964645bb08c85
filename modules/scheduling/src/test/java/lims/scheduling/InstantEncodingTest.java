package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.Test;

/**
 * Events store instants as numbers since 2026-11-24 (serialization.conf): reading text instants
 * cost the projections an eighth of the node's CPU. Events written before, with text instants,
 * must still read back the same.
 */
class InstantEncodingTest {

  static final LabTest.ExecutionStarted EVENT = new LabTest.ExecutionStarted("LT-00000000000000001", "LT-00000000000000001-1774612800000",
      Instant.parse("2026-03-27T12:00:00Z"), 1, Instant.parse("2026-03-27T11:59:59.500123456Z"), "schedule");

  @Test
  void instantsAreWrittenAsNumbersAndTextWrittenBeforeStillReads() {
    ActorTestKit now = ActorTestKit.create("now", ConfigFactory.parseResources("serialization.conf"));
    ActorTestKit before = ActorTestKit.create("before", ConfigFactory.parseString(
        "pekko.serialization.jackson.jackson-cbor.serialization-features.WRITE_DATES_AS_TIMESTAMPS = off")
        .withFallback(ConfigFactory.parseResources("serialization.conf")));
    try {
      Serialization current = SerializationExtension.get(Adapter.toClassic(now.system()));
      Serialization earlier = SerializationExtension.get(Adapter.toClassic(before.system()));
      var serializer = (SerializerWithStringManifest) current.findSerializerFor(EVENT);
      String manifest = serializer.manifest(EVENT);

      byte[] written = serializer.toBinary(EVENT);
      assertFalse(new String(written, StandardCharsets.ISO_8859_1).contains("2026-03-27T"), "instants as numbers, not text");
      assertEquals(EVENT, current.deserialize(written, serializer.identifier(), manifest).get(), "to the nanosecond");
      assertEquals(EVENT, earlier.deserialize(written, serializer.identifier(), manifest).get(), "a node of the build before reads it");

      byte[] writtenBefore = ((SerializerWithStringManifest) earlier.findSerializerFor(EVENT)).toBinary(EVENT);
      assertTrue(new String(writtenBefore, StandardCharsets.ISO_8859_1).contains("2026-03-27T11:59:59.500123456Z"));
      assertEquals(EVENT, current.deserialize(writtenBefore, serializer.identifier(), manifest).get());
      assertTrue(written.length < writtenBefore.length, List.of(written.length, writtenBefore.length).toString());
    } finally {
      now.shutdownTestKit();
      before.shutdownTestKit();
    }
  }
}
