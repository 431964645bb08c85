package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lims.kernel.NodeConfig;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks what can be
 * checked: PostgreSQL and three nodes, configured only through variables that cluster.conf
 * (with the files it includes) actually reads, and with every variable a node needs.
 */
class DockerComposeTest {

  static final Path ROOT = Path.of("..");
  static final Set<String> NODE_NEEDS =
      Set.of("LIMS_DB_URL", "LIMS_DB_USER", "LIMS_DB_PASSWORD", "LIMS_SEED_NODES", "LIMS_REMOTE_HOST", "LIMS_JWT_SECRET");

  @Test
  void composeRunsPostgresAndThreeNodesOnTheVariablesClusterConfReads() throws IOException {
    Set<String> read = variablesRead(ROOT.resolve("cluster-config/cluster.conf"));
    assertTrue(read.containsAll(NODE_NEEDS), "cluster.conf reads " + read);

    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile()).get("services");
    assertTrue(services.has("postgres"));
    List<String> nodes = new ArrayList<>();
    services.fields().forEachRemaining(s -> {
      if (s.getValue().path("environment").has("LIMS_DB_URL")) nodes.add(s.getKey());
    });
    assertEquals(3, nodes.size(), "node services: " + nodes);

    for (String name : nodes) {
      JsonNode env = services.get(name).get("environment");
      TreeSet<String> given = new TreeSet<>();
      env.fieldNames().forEachRemaining(given::add);
      TreeSet<String> unknown = new TreeSet<>(given);
      unknown.removeAll(read);
      assertEquals(Set.of(), unknown, name + " sets variables cluster.conf does not read");
      assertTrue(given.containsAll(NODE_NEEDS), name + " lacks some of " + NODE_NEEDS);
      for (String seed : env.get("LIMS_SEED_NODES").asText().split(",")) {
        assertTrue(nodes.contains(seed.strip().split(":")[0]), name + " seeds a node compose does not run: " + seed);
      }
      assertEquals("cluster", services.get(name).get("command").get(0).asText());
    }
  }

  /** The variables compose gives each node pass the node's start-up check, and are the settings they name. */
  @Test
  void everyNodesEnvironmentPassesTheStartupCheck() throws IOException {
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile()).get("services");
    int nodes = 0;
    for (JsonNode service : services) {
      if (!service.path("environment").has("LIMS_DB_URL")) continue;
      Map<String, String> environment = new TreeMap<>();
      service.get("environment").fields().forEachRemaining(v -> environment.put(v.getKey(), composed(v.getValue().asText())));
      Config node = NodeConfig.load("cluster", Map.of(), environment);
      assertEquals(environment.get("LIMS_REMOTE_HOST"), node.getString("pekko.remote.artery.canonical.hostname"));
      assertEquals(environment.get("LIMS_DB_URL"), node.getString("lims.database.url"));
      nodes++;
    }
    assertEquals(3, nodes);
  }

  /** What compose makes of ${VAR:-default} and ${VAR:?message} (a value the operator must give: here, a sample). */
  private static String composed(String value) {
    Matcher m = Pattern.compile("\\$\\{\\w+(?::-([^}]*)|:\\?[^}]*)}").matcher(value);
    if (!m.matches()) return value;
    return m.group(1) != null ? m.group(1) : "a-sample-secret-of-at-least-thirty-two-bytes";
  }

  /** Every ${?VAR} in a .conf file and, recursively, in the files it includes. */
  static Set<String> variablesRead(Path conf) throws IOException {
    Set<String> variables = new TreeSet<>();
    String text = Files.readString(conf);
    Matcher v = Pattern.compile("\\$\\{\\?([A-Z0-9_]+)}").matcher(text);
    while (v.find()) variables.add(v.group(1));
    Matcher include = Pattern.compile("(?m)^\\s*include\\s+\"([^\"]+)\"").matcher(text);
    while (include.find()) variables.addAll(variablesRead(conf.resolveSibling(include.group(1))));
    return variables;
  }
}
