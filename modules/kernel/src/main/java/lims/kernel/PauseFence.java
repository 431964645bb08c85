package lims.kernel;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node that was frozen from acting twice (decision 0043). A process stopped by SIGSTOP, a
 * long garbage collection or a starved machine may be downed and removed by the others while it
 * cannot run; its entities then live elsewhere. Once it runs again, its overdue timers fire at
 * once, before gossip tells it that it is no longer a member, so an entity could call a lab-test
 * action or dispatch an analysis that its new home runs too.
 *
 * <p>A thread of its own ticks every {@code tick}; a gap between ticks longer than
 * {@code threshold} means this node did not run for that long. From then on (and whenever a
 * caller sees the gap before the ticker does) {@link #clear()} holds side effects until another
 * member vouches that it sees this very incarnation Up and reachable. A node that was removed
 * never gets that answer (the others have forgotten it, and their transport refuses it); it stops
 * itself within seconds, and its held side effects never run. A node with no other member in its
 * view has no one who could have taken its entities over, and is clear at once.
 *
 * <p>The threshold is below the time a pause needs to get a node downed (failure detection plus
 * the split-brain resolver's stable-after), so a pause that could lead to a removal is never
 * missed; a shorter one costs one round trip to a witness.
 */
public final class PauseFence implements Extension {

  private static final Logger log = LoggerFactory.getLogger(PauseFence.class);
  private static final ServiceKey<Vouch> WITNESSES = ServiceKey.create(Vouch.class, "lims-pause-witness");
  private static final CompletableFuture<Void> CLEAR = CompletableFuture.completedFuture(null);

  private static final ExtensionId<PauseFence> ID =
      new ExtensionId<>() {
        @Override
        public PauseFence createExtension(ActorSystem<?> system) {
          return new PauseFence(system);
        }
      };

  /** A side effect not run: its wait for {@link #clear()} outlasted its bound. */
  public static final class NotConfirmed extends RuntimeException {
    NotConfirmed() {
      super("this node had been frozen and no other member confirmed it is still one", null, false, false);
    }
  }

  /**
   * {@code effect}, started once {@code clear} has completed; failed with {@link NotConfirmed}
   * when that takes longer than {@code wait}.
   */
  public static <T> CompletionStage<T> afterClear(CompletionStage<Void> clear, Supplier<? extends CompletionStage<T>> effect, Duration wait) {
    CompletableFuture<Void> cleared = clear.toCompletableFuture().copy().orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS);
    boolean waited = !cleared.isDone();
    CompletableFuture<Void> ok = cleared.handle((x, timedOut) -> {
      if (timedOut != null) throw new NotConfirmed();
      return x;
    });
    // A held effect starts on the common pool, not on the thread that released the hold (Pekko's).
    return waited ? ok.thenComposeAsync(x -> effect.get()) : ok.thenCompose(x -> effect.get());
  }

  /** Asks a witness whether it sees the asking incarnation ({@code address}, {@code uid}) Up and reachable. */
  public record Vouch(String address, long uid, ActorRef<Vouched> replyTo) implements CborSerializable {}

  public record Vouched(boolean up) implements CborSerializable {}

  private final ActorSystem<?> system;
  private final Cluster cluster;
  private final long thresholdNanos;
  private final Duration askTimeout;
  private final Duration holdAtMost;
  private final ScheduledExecutorService thread;
  /** This node's own witness: never asked, a node does not vouch for itself. */
  private final ActorRef<Vouch> witness;
  private volatile long lastTick = System.nanoTime();
  /** Not null while side effects wait: completes when a witness vouches for this node. */
  private volatile CompletableFuture<Void> held;
  /**
   * Counts the gaps seen: a vouch answers the round that asked it, and releases only if no gap
   * was seen since (a second pause right after a vouch may have got the node removed).
   */
  private final AtomicLong gaps = new AtomicLong();
  private long heldSince;
  /** Why side effects last ran again (for the log and tests). */
  private volatile String released;

  public static PauseFence get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private PauseFence(ActorSystem<?> system) {
    this.system = system;
    this.cluster = Cluster.get(system);
    var config = system.settings().config().getConfig("lims.cluster.pause-fence");
    this.thresholdNanos = config.getDuration("threshold").toNanos();
    this.askTimeout = config.getDuration("ask-timeout");
    this.holdAtMost = config.getDuration("hold-at-most");
    Duration tick = config.getDuration("tick");
    this.witness = system.systemActorOf(witness(cluster, this::isHeld), "lims-pause-witness", Props.empty());
    system.receptionist().tell(Receptionist.register(WITNESSES, witness));
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lims-pause-fence");
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(this::tick, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    system.getWhenTerminated().thenRun(thread::shutdownNow);
  }

  /**
   * Completes when this node may run a side effect: at once, unless it has just not run for
   * longer than the threshold; then when another member has vouched for it. Never completes on a
   * node that was removed while it was frozen (a caller bounds its own wait).
   */
  public CompletionStage<Void> clear() {
    // lastTick before held: the ticker sets held before it writes a fresh lastTick.
    long last = lastTick;
    CompletableFuture<Void> waiting = held;
    long gap = System.nanoTime() - last;
    if (gap > thresholdNanos) return hold(gap).minimalCompletionStage();
    if (waiting != null) return waiting.minimalCompletionStage();
    return CLEAR;
  }

  /** How long a side effect with no time-out of its own waits for {@link #clear()} before it fails. */
  public Duration holdAtMost() {
    return holdAtMost;
  }

  String released() {
    return released;
  }

  /** Whether this node's own side effects wait, or it has just not run: then it vouches for no one either. */
  boolean isHeld() {
    return held != null || System.nanoTime() - lastTick > thresholdNanos;
  }

  private void tick() {
    long now = System.nanoTime();
    long gap = now - lastTick;
    if (gap > thresholdNanos) hold(gap);
    lastTick = now;
  }

  /** A gap was seen: hold side effects (again, if held already: answers to rounds asked before it no longer count). */
  synchronized CompletableFuture<Void> hold(long gapNanos) {
    gaps.incrementAndGet();
    if (held != null) return held;
    log.warn("this node did not run for {} ms (frozen, or starved of CPU): side effects wait until another member vouches that it is still Up",
        TimeUnit.NANOSECONDS.toMillis(gapNanos));
    held = new CompletableFuture<>();
    heldSince = System.nanoTime();
    if (!thread.isShutdown()) thread.execute(this::confirm);
    return held;
  }

  /** Releases the hold, if no gap was seen since the round that vouched ({@code round}); the held side effects start outside the lock. */
  private void release(long round, String why) {
    CompletableFuture<Void> waiting;
    synchronized (this) {
      if (held == null || gaps.get() != round) return;
      log.info("side effects run again, {} ms after they were held: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - heldSince), why);
      waiting = held;
      released = why;
      held = null;
    }
    waiting.complete(null);
  }

  /** One round: ask every witness listed; try again after the ask time-out until one vouches. */
  private void confirm() {
    if (held == null || thread.isShutdown()) return;
    long round = gaps.get();
    Member self = cluster.selfMember();
    List<Member> others = new java.util.ArrayList<>();
    cluster.state().getMembers().forEach(m -> {
      if (!m.uniqueAddress().equals(self.uniqueAddress()) && isUp(m)) others.add(m);
    });
    if (isUp(self) && others.isEmpty()) {
      release(round, "no other member could have taken this node's entities over");
      return;
    }
    UniqueAddress me = self.uniqueAddress();
    CompletionStage<Receptionist.Listing> listing =
        AskPattern.ask(system.receptionist(), reply -> Receptionist.find(WITNESSES, reply), askTimeout, system.scheduler());
    listing.thenAccept(found -> found.getServiceInstances(WITNESSES).stream()
            .filter(w -> !w.equals(witness))
            .forEach(w -> AskPattern.<Vouch, Vouched>ask(w, reply -> new Vouch(me.address().toString(), me.longUid(), reply), askTimeout,
                    system.scheduler())
                .thenAccept(v -> {
                  if (v.up()) release(round, "vouched for by " + w.path().address());
                })));
    thread.schedule(this::confirm, askTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static boolean isUp(Member m) {
    return m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp();
  }

  /**
   * Answers whether the asking incarnation is a member this node sees Up and reachable, and
   * never while this node itself is held (two nodes frozen together would vouch for each other
   * from views the survivors no longer share).
   */
  static Behavior<Vouch> witness(Cluster cluster, BooleanSupplier heldItself) {
    return Behaviors.receiveMessage(v -> {
      ClusterEvent.CurrentClusterState state = cluster.state();
      boolean up = false;
      for (Member m : state.getMembers()) {
        up |= m.uniqueAddress().address().toString().equals(v.address()) && m.uniqueAddress().longUid() == v.uid() && isUp(m)
            && !state.getUnreachable().contains(m);
      }
      v.replyTo().tell(new Vouched(up && !heldItself.getAsBoolean()));
      return Behaviors.same();
    });
  }
}
