package lims.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The web UI, served from the node's own jar at {@code /} (decision 0049): the files the
 * {@code ui/} folder's build wrote, packaged under {@code ui/} on the classpath. Files under
 * {@code /assets/} carry a content hash in their names and are cached for a year;
 * {@code index.html} is revalidated on every load, so a new build reaches a browser at its
 * next load. Any other path outside {@code /api/} whose last segment has no dot is a page
 * of the app (client routing) and answers index.html.
 */
final class WebUi {

  /** Where the Maven build puts the UI's files on the classpath. */
  static final String CLASSPATH_ROOT = "ui/";
  static final String INDEX = "index.html";
  /** Bounded label for the metrics and the access log: one series for every UI file. */
  static final String ROUTE = "web ui";

  /**
   * Sent with every answer of the node, the API's too. The page runs only its own bundled
   * script and style: no inline code, no eval, no other origin, never inside a frame.
   */
  static final List<HttpHeader> SECURITY_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
          + "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("X-Frame-Options", "DENY"),
      RawHeader.create("Cross-Origin-Opener-Policy", "same-origin"));

  private static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final String REVALIDATE = "no-cache";
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=UTF-8",
      "js", "text/javascript; charset=UTF-8",
      "css", "text/css; charset=UTF-8",
      "svg", "image/svg+xml",
      "woff2", "font/woff2",
      "png", "image/png",
      "ico", "image/x-icon",
      "json", "application/json",
      "txt", "text/plain; charset=UTF-8");

  /** A file as it is answered: its bytes, gzipped too where that is smaller, and its ETag. */
  private record File(ContentType type, byte[] bytes, byte[] gzipped, String etag, boolean hashedName) {}

  private final ClassLoader loader;
  /** Only files that exist are kept, so the map is bounded by the files in the jar. */
  private final Map<String, File> files = new ConcurrentHashMap<>();

  WebUi(ClassLoader loader) {
    this.loader = loader;
  }

  WebUi() {
    this(WebUi.class.getClassLoader());
  }

  /** True when the build packaged the UI (with {@code -Dui.skip} on a fresh checkout it has none). */
  boolean packaged() {
    return loader.getResource(CLASSPATH_ROOT + INDEX) != null;
  }

  /** True for a path the UI answers: a GET or HEAD outside the API. */
  static boolean serves(HttpRequest request) {
    String method = request.method().name();
    String path = request.getUri().path();
    return (method.equals("GET") || method.equals("HEAD")) && !path.equals("/api") && !path.startsWith("/api/");
  }

  /** The file or page for a path {@link #serves} accepted; empty when there is none (answered 404). */
  Optional<HttpResponse> answer(HttpRequest request, List<String> segments) {
    List<String> path = segments.stream().filter(s -> !s.isEmpty()).toList();
    if (!path.stream().allMatch(s -> SEGMENT.matcher(s).matches())) return Optional.empty();
    boolean namesAFile = !path.isEmpty() && path.get(path.size() - 1).contains(".");
    String name = namesAFile ? String.join("/", path) : INDEX;
    return file(name).map(f -> respond(f, request));
  }

  private Optional<File> file(String name) {
    File known = files.get(name);
    if (known != null) return Optional.of(known);
    String extension = name.substring(name.lastIndexOf('.') + 1);
    String type = TYPES.get(extension);
    if (type == null) return Optional.empty();
    try (InputStream in = loader.getResourceAsStream(CLASSPATH_ROOT + name)) {
      if (in == null) return Optional.empty();
      byte[] bytes = in.readAllBytes();
      byte[] gzipped = gzip(bytes);
      File loaded = new File(ContentTypes.parse(type), bytes, gzipped.length < bytes.length ? gzipped : null, etag(bytes),
          name.startsWith("assets/"));
      files.put(name, loaded);
      return Optional.of(loaded);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + CLASSPATH_ROOT + name + " from the classpath", e);
    }
  }

  private static HttpResponse respond(File file, HttpRequest request) {
    HttpResponse response = HttpResponse.create()
        .addHeader(RawHeader.create("Cache-Control", file.hashedName() ? IMMUTABLE : REVALIDATE))
        .addHeader(RawHeader.create("ETag", file.etag()))
        .addHeader(RawHeader.create("Vary", "Accept-Encoding"));
    boolean unchanged = request.getHeader("If-None-Match").map(HttpHeader::value)
        .map(v -> List.of(v.split("\\s*,\\s*")).contains(file.etag())).orElse(false);
    if (unchanged) return response.withStatus(304);
    boolean gzip = file.gzipped() != null
        && request.getHeader("Accept-Encoding").map(h -> h.value().toLowerCase().contains("gzip")).orElse(false);
    if (gzip) {
      return response.addHeader(RawHeader.create("Content-Encoding", "gzip")).withEntity(file.type(), file.gzipped());
    }
    return response.withEntity(file.type(), file.bytes());
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
