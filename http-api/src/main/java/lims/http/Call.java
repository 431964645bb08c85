package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import lims.security.Principal;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/** What a handler gets: the request, its route ({@code POST /api/v1/specimens}), path parameters, caller, and body. */
public record Call(
    HttpRequest request,
    String route,
    Map<String, String> pathParams,
    Optional<Principal> principal,
    String requestId,
    InetAddress clientAddress,
    byte[] body,
    ObjectMapper mapper) {

  /** The body as a JSON object; 400 (or 415 for another media type) when it is not one. */
  public JsonBody json() {
    String mediaType = request.entity().getContentType().mediaType().toString();
    if (body.length > 0 && !(mediaType.equals("application/json") || mediaType.endsWith("+json"))) {
      throw new ProblemException(
          415, "unsupported-media-type", "Unsupported media type",
          "send the body as application/json, not " + mediaType, java.util.List.of(), Map.of());
    }
    return JsonBody.parse(mapper, body);
  }

  /** The authenticated caller; only endpoints that require a token call this. */
  public Principal caller() {
    return principal.orElseThrow(() -> new IllegalStateException("endpoint declared no token requirement"));
  }

  /**
   * The one client whose specimens (and what derives from them, such as reports) the caller may
   * see: that of a viewer linked to a client, from its token. Empty: every client's.
   */
  public Optional<String> clientScope() {
    return principal.flatMap(Principal::clientScope);
  }

  /** The custody record of this request: the caller, acting in {@code role}, now, from its address, with its request id. */
  public lims.kernel.Custody custody(lims.kernel.Role role, String reason) {
    return lims.kernel.Custody.now(caller().username(), lims.kernel.WireNames.of(role), clientAddress.getHostAddress(), requestId, reason);
  }

  public String pathParam(String name) {
    return pathParams.get(name);
  }
}
