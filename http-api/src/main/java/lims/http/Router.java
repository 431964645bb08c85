package lims.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpMethod;

/** Finds the endpoint for a request path and method; a literal segment beats a parameter. */
final class Router {

  sealed interface Match permits Found, MethodNotAllowed, NotFound {}

  record Found(Endpoint endpoint, Map<String, String> pathParams) implements Match {}

  record MethodNotAllowed(String template, Set<String> allowed) implements Match {}

  record NotFound() implements Match {}

  private final List<Endpoint> endpoints;

  Router(List<Endpoint> endpoints) {
    this.endpoints = List.copyOf(endpoints);
  }

  Match route(HttpMethod method, List<String> path) {
    List<Endpoint> matching = new ArrayList<>();
    for (Endpoint e : endpoints) {
      if (params(e, path).isPresent()) matching.add(e);
    }
    if (matching.isEmpty()) {
      return new NotFound();
    }
    matching.sort(Comparator.comparingLong(Router::literalCount).reversed());
    String mostSpecific = matching.get(0).template();
    Set<String> allowed = new LinkedHashSet<>();
    for (Endpoint e : matching) {
      if (e.method().equals(method)) {
        return new Found(e, params(e, path).orElseThrow());
      }
      if (e.template().equals(mostSpecific)) allowed.add(e.method().name());
    }
    return new MethodNotAllowed(mostSpecific, allowed);
  }

  private static long literalCount(Endpoint e) {
    return e.segments().stream().filter(s -> !s.startsWith("{")).count();
  }

  private static Optional<Map<String, String>> params(Endpoint e, List<String> path) {
    List<String> template = e.segments();
    if (template.size() != path.size()) return Optional.empty();
    Map<String, String> params = new HashMap<>();
    for (int i = 0; i < template.size(); i++) {
      String t = template.get(i);
      if (t.startsWith("{")) {
        if (path.get(i).isEmpty()) return Optional.empty();
        params.put(t.substring(1, t.length() - 1), path.get(i));
      } else if (!t.equals(path.get(i))) {
        return Optional.empty();
      }
    }
    return Optional.of(params);
  }
}
