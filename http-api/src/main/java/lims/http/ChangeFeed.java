package lims.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.JournalFeed;
import lims.kernel.projection.OrderingGaps;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's live changes: one follower of the shared journal's global order per node, whose
 * changes it renders once and hands to every client of this node (decision 0048). Events
 * written on any node reach the clients of every node, each node reading the journal itself.
 *
 * <p>The follower polls the journal every {@code poll-interval} for the rows after its
 * position and moves past only what {@link OrderingGaps} lets through, so a change is never
 * handed on ahead of an earlier one still committing. Each client has a queue of
 * {@code client-buffer} changes: a client that does not read fast enough to keep it from
 * filling up is ended with a {@code closing} event (reason {@code slow_client}) after what its
 * queue held, and resumes from its last id on its next connection; a node never holds more.
 */
final class ChangeFeed {

  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  /** Rows read in one query, by the follower and by a replay. */
  static final int PAGE = 1000;

  /**
   * One event as it goes to clients: a change with its journal ordering, its kind of entity and
   * its rendered event; or a telemetry frame ({@code channel}: its device and channel), which is
   * live only: it has no ordering, and resuming after a change neither skips nor repeats one.
   */
  record Frame(long ordering, String entity, ByteString bytes, String channel) {
    Frame(long ordering, String entity, ByteString bytes) {
      this(ordering, entity, bytes, null);
    }

    /** Telemetry is shown to those who may see devices. */
    static Frame telemetry(String channel, ByteString bytes) {
      return new Frame(-1, DomainChanges.DEVICE, bytes, channel);
    }

    /** A change of the journal, which a client resumes after; telemetry is not. */
    boolean resumable() {
      return channel == null;
    }
  }

  /** Why the server ended a client's stream, as its closing event says. */
  enum Ending {
    SLOW_CLIENT,
    TOKEN_EXPIRED,
    NODE_STOPPING;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A connected client: the kinds of entity it may see, its bounded queue, and its pace of telemetry. */
  static final class Client {
    private final Set<String> visible;
    private final BoundedSourceQueue<Frame> queue;
    private final ChannelPace pace;
    private volatile Ending ending;
    private volatile Cancellable expiry;

    private Client(Set<String> visible, BoundedSourceQueue<Frame> queue, ChannelPace pace) {
      this.visible = visible;
      this.queue = queue;
      this.pace = pace;
    }

    Optional<Ending> ending() {
      return Optional.ofNullable(ending);
    }
  }

  /** A client just registered: the changes after {@code position} reach it through {@code live}. */
  record Subscription(Client client, long position, Source<Frame, NotUsed> live) {}

  private final ActorSystem<?> system;
  private final JournalFeed journal;
  private final OrderingGaps gaps;
  private final ObjectMapper mapper;
  private final Materializer materializer;
  private final Duration pollInterval;
  private final int clientBuffer;
  private final int maxClients;
  /** Rows the follower hands on at once: at most half a client's queue, so one poll alone never fills a queue a client keeps reading. */
  private final int followerPage;
  /** Telemetry frames one client gets per channel: at most one per this long. */
  private final long telemetryInterval;
  private final Counter slowClients;
  private final CompletableFuture<Done> following = new CompletableFuture<>();
  private final Set<Client> clients = new LinkedHashSet<>(); // guarded by this
  private long position; // guarded by this; only the follower moves it
  private boolean stopping; // guarded by this
  private boolean failing; // the follower's own: a failed poll is logged once until one succeeds

  private ChangeFeed(ActorSystem<?> system, Config events, ObjectMapper mapper, MeterRegistry registry) {
    this.system = system;
    this.journal = new JournalFeed(system, DomainChanges.ENTITY_TYPES);
    Config sequence = system.settings().config().getConfig("jdbc-read-journal.journal-sequence-retrieval");
    this.gaps = new OrderingGaps(sequence.getDuration("query-delay").multipliedBy(sequence.getInt("max-tries")));
    this.mapper = mapper;
    this.materializer = Materializer.matFromSystem(system);
    this.pollInterval = events.getDuration("poll-interval");
    this.clientBuffer = events.getInt("client-buffer");
    this.maxClients = events.getInt("max-clients");
    this.followerPage = Math.max(1, Math.min(PAGE, clientBuffer / 2));
    double perSecond = system.settings().config().getDouble("lims.telemetry.live.max-per-second");
    if (!(perSecond > 0)) throw new IllegalArgumentException("lims.telemetry.live.max-per-second must be above 0, not " + perSecond);
    this.telemetryInterval = (long) (1e9 / perSecond);
    Gauge.builder("lims.events.clients", this, ChangeFeed::clientCount).strongReference(true)
        .description("event streams (GET /api/v1/events) this node serves").register(registry);
    this.slowClients = Counter.builder("lims.events.slow_clients")
        .description("event streams ended because their client did not read fast enough").register(registry);
  }

  /** Starts following the journal from its newest event; clients are ended when the node starts to stop. */
  static ChangeFeed start(ActorSystem<?> system, Config events, ObjectMapper mapper, MeterRegistry registry) {
    ChangeFeed feed = new ChangeFeed(system, events, mapper, registry);
    feed.begin();
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "end-event-streams", () -> {
      feed.stop();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    return feed;
  }

  JournalFeed journal() {
    return journal;
  }

  /**
   * Registers a client for the changes after the follower's current position, which the
   * subscription names: whatever the follower hands on later is in its queue. 503 when the
   * node has {@code max-clients} already, or while it stops.
   */
  CompletionStage<Subscription> subscribe(Set<String> visible) {
    return following.thenApply(started -> {
      synchronized (this) {
        if (stopping) throw ProblemException.unavailable("the node is stopping; connect to another one");
        if (clients.size() >= maxClients) {
          throw ProblemException.unavailable("this node serves " + maxClients + " event streams already; try again or another node");
        }
        Pair<BoundedSourceQueue<Frame>, Source<Frame, NotUsed>> queue = Source.<Frame>queue(clientBuffer).preMaterialize(materializer);
        Client client = new Client(visible, queue.first(), new ChannelPace(telemetryInterval));
        clients.add(client);
        return new Subscription(client, position, queue.second());
      }
    });
  }

  /** Ends a client's live changes {@code after} this long (when its token expires), with that reason. */
  void endAfter(Client client, Duration after, Ending why) {
    client.expiry = system.classicSystem().scheduler().scheduleOnce(
        scala.concurrent.duration.Duration.fromNanos(Math.max(0, after.toNanos())), () -> end(client, why), system.executionContext());
  }

  /** Ends a client's live changes: its queue completes after what it holds, and its stream closes with {@code why}. */
  synchronized void end(Client client, Ending why) {
    if (client.ending != null) return; // already ending (slow, expired, or the node stopping): once is enough
    client.ending = why;
    clients.remove(client);
    try {
      client.queue.complete();
    } catch (IllegalStateException alreadyDone) {
      // the client closed its stream meanwhile: its queue is already completed, nothing to end
    }
  }

  /** Forgets a client whose stream ended (closed by it, or ended here). */
  synchronized void forget(Client client) {
    clients.remove(client);
    Cancellable expiry = client.expiry;
    if (expiry != null) expiry.cancel();
  }

  synchronized int clientCount() {
    return clients.size();
  }

  /** The changes after {@code after} up to {@code upTo}, read from the journal, of the kinds in {@code visible}. */
  Source<Frame, NotUsed> replay(long after, long upTo, Set<String> visible) {
    return Source.<Long, List<JournalFeed.Row>>unfoldAsync(after, from -> page(from, upTo))
        .mapConcat(this::frames)
        .filter(frame -> visible.contains(frame.entity()));
  }

  /** The next page of a replay, and the ordering it ends at; empty once the replay reached {@code upTo}. */
  private CompletionStage<Optional<Pair<Long, List<JournalFeed.Row>>>> page(long from, long upTo) {
    if (from >= upTo) return CompletableFuture.completedFuture(Optional.empty());
    return journal.after(from, upTo, PAGE).thenApply(rows -> rows.isEmpty() ? Optional.<Pair<Long, List<JournalFeed.Row>>>empty()
        : Optional.of(Pair.create(rows.get(rows.size() - 1).ordering(), rows)));
  }

  // --- the follower ----------------------------------------------------------------------

  private void begin() {
    journal.newest().whenComplete((newest, failure) -> {
      if (failure != null) {
        logFailure(failure);
        schedule(this::begin);
        return;
      }
      synchronized (this) {
        position = newest;
      }
      log.info("event stream follows the journal from ordering {}", newest);
      following.complete(Done.getInstance());
      poll();
    });
  }

  private void poll() {
    long from;
    synchronized (this) {
      if (stopping) return;
      from = position;
    }
    journal.after(from, Long.MAX_VALUE, followerPage).whenComplete((rows, failure) -> {
      // The next poll is always scheduled, whatever happens here: a follower that stopped
      // would leave every client of this node on heartbeats alone, looking live.
      try {
        if (failure != null) {
          logFailure(failure);
          return;
        }
        failing = false;
        List<JournalFeed.Row> passable = gaps.passable(from, rows, JournalFeed.Row::ordering, System.nanoTime());
        publishPage(passable);
      } catch (RuntimeException e) {
        log.error("event stream: handing on the changes after ordering {} failed; trying again", from, e);
      } finally {
        // Always a pause before the next read, even after a full page: clients drain their
        // queues between reads, so a backlog (after a gap wait) does not fill them in one go.
        schedule(this::poll);
      }
    });
  }

  /**
   * Hands on the changes of these rows, at most a page of them: a row may hold many changes (a
   * lab-test partition's write, decision 0064), and a page must not fill a client's queue in one
   * go. The rows left are read again at the next poll. A single row is handed on whole.
   */
  private void publishPage(List<JournalFeed.Row> rows) {
    List<Frame> page = new ArrayList<>();
    long through = -1;
    for (JournalFeed.Row row : rows) {
      List<Frame> frames = frames(List.of(row));
      if (through >= 0 && page.size() + frames.size() > followerPage) break;
      page.addAll(frames);
      through = row.ordering();
    }
    if (through >= 0) publish(page, through);
  }

  private synchronized void publish(List<Frame> frames, long through) {
    for (Frame frame : frames) {
      for (Client client : new ArrayList<>(clients)) {
        if (client.visible.contains(frame.entity())) deliver(client, frame);
      }
    }
    position = through;
  }

  /**
   * Telemetry frames, from any node (TelemetryFrames): to each client that may see them, as
   * fast as its pace admits per channel. They share the client's queue with the changes, so a
   * client that stops reading is ended as slow whatever fills its queue.
   */
  synchronized void publishTelemetry(List<Frame> frames, long nowNanos) {
    for (Client client : new ArrayList<>(clients)) {
      for (Frame frame : frames) {
        if (!client.visible.contains(frame.entity())) continue;
        ChannelPace.Offer offer = client.pace.offer(frame, nowNanos);
        if (offer == ChannelPace.Offer.SEND && !deliver(client, frame)) break;
        if (offer == ChannelPace.Offer.HELD_RELEASE_DUE) releaseLater(client, frame.channel(), client.pace.dueIn(frame.channel(), nowNanos));
      }
    }
  }

  /** Sends the client's frame held for the channel once the channel is due (ChannelPace). */
  private void releaseLater(Client client, String channel, long inNanos) {
    system.classicSystem().scheduler().scheduleOnce(scala.concurrent.duration.Duration.fromNanos(inNanos), () -> release(client, channel),
        system.executionContext());
  }

  private synchronized void release(Client client, String channel) {
    if (!clients.contains(client)) return; // ended or gone meanwhile
    Frame held = client.pace.release(channel, System.nanoTime());
    if (held != null) deliver(client, held);
  }

  /** Offers a frame to a client's queue; false when the client is gone or ended as slow. */
  private boolean deliver(Client client, Frame frame) {
    QueueOfferResult offered = client.queue.offer(frame);
    if (offered == QueueOfferResult.dropped()) {
      slowClients.increment();
      end(client, Ending.SLOW_CLIENT);
      return false;
    } else if (!offered.isEnqueued()) {
      clients.remove(client); // its stream is gone (closed by the client)
      return false;
    }
    return true;
  }

  private void stop() {
    synchronized (this) {
      stopping = true;
      for (Client client : new ArrayList<>(clients)) end(client, Ending.NODE_STOPPING);
    }
  }

  private void schedule(Runnable next) {
    system.classicSystem().scheduler().scheduleOnce(scala.concurrent.duration.Duration.fromNanos(pollInterval.toNanos()), next,
        system.executionContext());
  }

  private void logFailure(Throwable failure) {
    if (!failing) log.warn("event stream cannot read the journal (trying again every {}): {}", pollInterval, failure.toString());
    failing = true;
  }

  // --- rendering -------------------------------------------------------------------------

  private List<Frame> frames(List<JournalFeed.Row> rows) {
    List<Frame> frames = new ArrayList<>();
    for (JournalFeed.Row row : rows) {
      if (row.event() == null) continue;
      for (DomainChanges.Change change : DomainChanges.all(row.event())) {
        frames.add(new Frame(row.ordering(), change.entity(), event(row.ordering(), "change", change.fields())));
      }
    }
    return frames;
  }

  /** One server-sent event: its id (when it has one), name and data, a single line of JSON. */
  ByteString event(Long id, String name, Map<String, ?> data) {
    try {
      String json = mapper.writeValueAsString(data);
      return ByteString.fromString((id == null ? "" : "id: " + id + "\n") + "event: " + name + "\ndata: " + json + "\n\n",
          StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a change that cannot be written as JSON", e);
    }
  }
}
