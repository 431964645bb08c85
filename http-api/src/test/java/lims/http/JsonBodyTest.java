package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Nested objects are read like the body: problems named by their path, thrown with the body's in one 400. */
class JsonBodyTest {

  static JsonBody body(String json) {
    return JsonBody.parse(Responses.mapper(), json.getBytes(StandardCharsets.UTF_8));
  }

  static List<FieldError> problems(JsonBody body) {
    return assertThrows(ProblemException.class, body::finish).errors();
  }

  @Test
  void aNestedObjectsProblemsAreNamedByTheirPathAndThrownWithTheBodys() {
    JsonBody body = body("{\"title\": 7, \"schedule\": {\"at\": \"soon\", \"every\": 5}, \"max_retries\": 99}");
    body.requiredString("title", 200);
    JsonBody schedule = body.object("schedule", "is required");
    schedule.instant("at", schedule.text("at", 40));
    schedule.check("at", "soon", at -> Optional.of("is not an instant either"));
    assertEquals(5, body.optionalInt("max_retries", 5, 0, 20));
    // The nested object's finish adds its unknown fields and throws every problem so far, the body's too.
    assertEquals(List.of(new FieldError("title", "must be a string"), new FieldError("schedule.at", "must be " + lims.kernel.Instants.RULE),
        new FieldError("schedule.at", "is not an instant either"), new FieldError("max_retries", "must be an integer from 0 to 20"),
        new FieldError("schedule.every", "is not a known field")), problems(schedule));
  }

  @Test
  void aMissingOrMistypedObjectIsRefusedAsTheCallerSays() {
    JsonBody body = body("{\"action\": \"run\"}");
    assertNull(body.object("action", "is required: {\"kind\": ...}"));
    assertNull(body.object("schedule", "is required: {\"at\": instant}"));
    assertEquals(List.of(new FieldError("action", "is required: {\"kind\": ...}"), new FieldError("schedule", "is required: {\"at\": instant}")),
        problems(body));
  }

  @Test
  void textIsNullForAnythingButAShortEnoughString() {
    JsonBody body = body("{\"a\": \"abc\", \"b\": 1, \"c\": \"abcdef\"}");
    assertEquals("abc", body.text("a", 5));
    assertNull(body.text("b", 5));
    assertNull(body.text("c", 5));
    assertNull(body.text("d", 5));
    body.finish(); // text refuses nothing itself
  }
}
