package lims.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * Reads a request's body within the size limit, and gets a refused request's body out of the
 * way. A body that is refused (over the limit: 413; or 401, 403, 404, 405 before it is read)
 * is still read to its end and dropped, up to the server's parser limit
 * ({@code lims.http.drained-body-size}): a server that answers and closes while the client is
 * still uploading makes the client's TCP stack see a reset, and most clients then report a
 * broken connection instead of the answer. A client that asked first
 * ({@code Expect: 100-continue}) has sent nothing yet, and is answered at once (decision 0026).
 */
record RequestBody(long limit, Duration readTimeout, Materializer materializer) {

  /** From {@code lims.http}: the body limit and the read time-out. */
  static RequestBody of(Config http, Materializer materializer) {
    return new RequestBody(http.getBytes("max-body-size"), http.getDuration("body-read-timeout"), materializer);
  }

  /** The HTTP parser's limit: up to the drained size, so that a refused body can be read to its end. */
  static long parserLimit(Config http) {
    return Math.max(http.getBytes("max-body-size"), http.getBytes("drained-body-size"));
  }

  /** The body's bytes; fails with a 413 problem when over the limit, and with a time-out when not sent within the read time-out. */
  CompletionStage<byte[]> read(HttpRequest request) {
    if (request.entity() instanceof HttpEntity.Strict strict) { // arrived whole, as small bodies do: no stream to run
      if (strict.getData().size() > limit) return CompletableFuture.failedFuture(tooLarge());
      return CompletableFuture.completedFuture(strict.getData().toArray());
    }
    OptionalLong declared = request.entity().getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > limit) return refuse(request, tooLarge());
    return request.entity().getDataBytes()
        .completionTimeout(readTimeout)
        .runFold(new Collected(ByteString.emptyByteString(), 0), this::append, materializer)
        .thenApply(c -> {
          if (c.size() > limit) throw tooLarge();
          return c.bytes().toArray();
        });
  }

  /**
   * Fails with {@code refusal} once the body is out of the way. A client waiting for its 100
   * has sent nothing, and the body is left untouched: reading it would send the 100. Any
   * other body is read to its end and dropped (within the parser's limit and the read
   * time-out) before the answer, so an uploading client reads the answer, not a reset.
   */
  <T> CompletionStage<T> refuse(HttpRequest request, Throwable refusal) {
    if (asksToContinue(request) || request.entity() instanceof HttpEntity.Strict) return CompletableFuture.failedFuture(refusal);
    return request.entity().getDataBytes().completionTimeout(readTimeout).runWith(Sink.ignore(), materializer)
        .handle((done, error) -> null)
        .thenCompose(x -> CompletableFuture.failedFuture(refusal));
  }

  /** What was read so far: the bytes while within the limit, after that only the count. */
  private record Collected(ByteString bytes, long size) {}

  private Collected append(Collected c, ByteString chunk) {
    long size = c.size() + chunk.size();
    return new Collected(size > limit ? ByteString.emptyByteString() : c.bytes().concat(chunk), size);
  }

  private static boolean asksToContinue(HttpRequest request) {
    return request.getHeader("Expect").map(h -> h.value().equalsIgnoreCase("100-continue")).orElse(false);
  }

  ProblemException tooLarge() {
    return new ProblemException(413, "payload-too-large", "Payload too large", "the body exceeds the limit of " + limit + " bytes",
        List.of(), Map.of());
  }
}
