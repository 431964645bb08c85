package lims.http;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.util.ByteString;

/**
 * Reads a request's body within the size limit. A body over the limit is still read to its
 * end and dropped, up to the server's parser limit ({@code lims.http.drained-body-size}):
 * a server that answers 413 and closes while the client is still uploading makes the
 * client's TCP stack see a reset, and most clients then report a broken connection instead
 * of the 413. A client that asked first ({@code Expect: 100-continue}) and declared a length
 * over the limit has sent nothing yet, and gets the 413 at once.
 */
final class RequestBody {

  private final long limit;
  private final Duration readTimeout;
  private final Materializer materializer;

  RequestBody(long limit, Duration readTimeout, Materializer materializer) {
    this.limit = limit;
    this.readTimeout = readTimeout;
    this.materializer = materializer;
  }

  /** The body's bytes; fails with a 413 problem when over the limit, and with a time-out when not sent within the read time-out. */
  CompletionStage<byte[]> read(HttpRequest request) {
    OptionalLong declared = request.entity().getContentLengthOption();
    if (declared.isPresent() && declared.getAsLong() > limit && asksToContinue(request)) {
      // The body is left untouched: reading or discarding it would send the 100 that asks for it.
      return CompletableFuture.failedFuture(tooLarge());
    }
    if (request.entity() instanceof HttpEntity.Strict strict) { // arrived whole, as small bodies do: no stream to run
      if (strict.getData().size() > limit) return CompletableFuture.failedFuture(tooLarge());
      return CompletableFuture.completedFuture(strict.getData().toArray());
    }
    return request.entity().getDataBytes()
        .completionTimeout(readTimeout)
        .runFold(new Collected(ByteString.emptyByteString(), 0), this::append, materializer)
        .thenApply(c -> {
          if (c.size() > limit) throw tooLarge();
          return c.bytes().toArray();
        });
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
