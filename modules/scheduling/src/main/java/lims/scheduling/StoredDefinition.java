package lims.scheduling;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * A lab test's definition as the read table keeps it ({@code lab_test.definition}, JSON): what
 * a completed test needs once its partition has forgotten it (decision 0064).
 */
final class StoredDefinition {

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private StoredDefinition() {}

  static String write(LabTest.Definition definition) {
    try {
      return JSON.writeValueAsString(definition);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a lab-test definition that cannot be written as JSON", e);
    }
  }

  static LabTest.Definition read(String json) {
    try {
      return JSON.readValue(json, LabTest.Definition.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored lab-test definition that cannot be read", e);
    }
  }
}
