package lims.http;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import lims.kernel.NodeConfig;
import org.junit.jupiter.api.Test;

class StartupSafetyTest {

  @Test
  void aClusterNodeRefusesTheDevelopmentSigningKey() {
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, () -> LimsNode.start(NodeConfig.load("cluster", Map.of())));
    assertTrue(refused.getMessage().contains("LIMS_JWT_SECRET"), refused.getMessage());
  }

  @Test
  void theDevelopmentKeyIsRefusedBeyondLoopback() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> LimsNode.start(NodeConfig.load("embedded", Map.of("lims.http.host", "0.0.0.0"))));
    assertTrue(refused.getMessage().contains("LIMS_JWT_SECRET"), refused.getMessage());
  }

  @Test
  void anUnknownModeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.load("production", Map.of()));
  }
}
