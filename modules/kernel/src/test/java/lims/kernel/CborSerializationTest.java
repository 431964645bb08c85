package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What an event journaled as CBOR reads back as: a document of nested objects and arrays held
 * as Map&lt;String, Object&gt; (a result document, a transition's data) comes back as plain Java
 * maps and lists, which the code reading it (a report's results) recognises.
 */
class CborSerializationTest {

  record Document(Map<String, Object> data) implements CborSerializable {}

  static final ActorTestKit kit = ActorTestKit.create("cbor", NodeConfig.load("test", TestDatabase.h2("cbor")).withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void nestedObjectsAndArraysComeBackAsJavaMapsAndLists() {
    Map<String, Object> result = Map.of("status", "succeeded", "results", List.of(Map.of("test", "Haemoglobin", "value", 13.2)));
    Document back = (Document) new SerializationTestKit(kit.system()).verifySerialization(new Document(Map.of("result", result)), false);
    Map<?, ?> readResult = assertInstanceOf(Map.class, back.data().get("result"));
    List<?> rows = assertInstanceOf(List.class, readResult.get("results"));
    Map<?, ?> row = assertInstanceOf(Map.class, rows.get(0));
    assertEquals(13.2, row.get("value"));
    assertEquals(Map.of("result", result), back.data());
  }
}
