package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** openapi.yaml documents exactly the routes a node answers, with the right security. */
class OpenApiDocumentTest {

  static TestNode node;
  static JsonNode document;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(TestDatabase.h2("openapi"));
    document = new ObjectMapper(new YAMLFactory()).readTree(OperationsRoutes.openApiDocument());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedRouteExists() {
    TreeSet<String> served = new TreeSet<>();
    node.node.endpoints().forEach(e -> served.add(e.method().name() + " " + e.template()));
    TreeSet<String> documented = new TreeSet<>();
    DocumentedOperation.all(document).forEach(o -> documented.add(o.key()));
    assertEquals(served, documented);
  }

  @Test
  void routesOpenWithoutATokenAreDocumentedAsSuch() {
    List<String> wrong = new ArrayList<>();
    for (Endpoint e : node.node.endpoints()) {
      JsonNode operation = document.get("paths").get(e.template()).get(e.method().name().toLowerCase(Locale.ROOT));
      boolean documentedOpen = operation.has("security") && operation.get("security").isEmpty();
      if (documentedOpen == e.access().tokenRequired()) wrong.add(e.method().name() + " " + e.template());
    }
    assertEquals(List.of(), wrong);
  }
}
