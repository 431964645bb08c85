package lims.reporting;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.reporting.ReportJobs.Job;
import lims.reporting.render.RenderLimits;
import lims.reporting.render.RenderSettings;
import lims.reporting.render.RenderedReport;
import lims.reporting.render.ReportContent;
import lims.reporting.render.ReportRenderer;
import lims.specimen.Client;
import lims.specimen.Clients;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import lims.specimen.TransitionTable.Action;

/**
 * Gathers what a report shows from the entities (the specimens' registrations and chains of
 * custody, their analysis results as recorded with analysis_succeeded, the approval, the
 * client) and the lab's header from configuration, then hands the render to the render slot.
 * The recipients are fixed here too, and stored with the version: what was sent to whom is
 * part of the record.
 */
public final class ReportAssembly implements ReportMaker {

  private final Specimens specimens;
  private final Clients clients;
  private final ReportContent.Lab lab;
  private final ZoneId zone;
  private final RenderLimits limits;

  public ReportAssembly(Specimens specimens, Clients clients, RenderSettings settings) {
    this.specimens = specimens;
    this.clients = clients;
    this.lab = settings.lab();
    this.zone = settings.zone();
    this.limits = settings.limits();
  }

  @Override
  public CompletionStage<Callable<StoredReport.Draft>> prepare(Job job, int version) {
    List<CompletableFuture<Specimen.Reply>> replies = job.specimenIds().stream()
        .map(id -> specimens.ask(id, Specimen.Get::new).toCompletableFuture()).toList();
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      List<Specimen.State> states = new ArrayList<>();
      for (int i = 0; i < replies.size(); i++) {
        if (!(replies.get(i).join() instanceof Specimen.Current current)) {
          throw new RenderWorker.Unreportable("specimen " + job.specimenIds().get(i) + " does not exist");
        }
        Specimen.State specimen = current.specimen();
        if (Reportable.LEFT_OUT.contains(specimen.state())) continue; // cancelled since the job was queued: the others are reported
        if (!Reportable.STATES.contains(specimen.state())) {
          throw new RenderWorker.Unreportable("specimen " + specimen.id() + " is " + specimen.state() + ", not approved");
        }
        states.add(specimen);
      }
      if (states.isEmpty()) throw new RenderWorker.Unreportable("every specimen of the report was cancelled or resampled");
      String clientId = states.get(0).registration().clientId();
      CompletionStage<Optional<Client.State>> client = clientId == null
          ? CompletableFuture.completedFuture(Optional.empty()) : clients.get(clientId);
      return client.thenApply(c -> render(job, version, states, c));
    });
  }

  private Callable<StoredReport.Draft> render(Job job, int version, List<Specimen.State> states, Optional<Client.State> client) {
    Set<String> recipients = new LinkedHashSet<>();
    for (Specimen.State s : states) recipients.addAll(Clients.reportRecipients(client, s.registration()));
    ReportContent content = new ReportContent(job.reportId(), version, Instant.now(), zone, lab, client.map(ReportAssembly::client).orElse(null),
        states.stream().map(ReportAssembly::specimen).toList());
    String clientId = client.map(Client.State::code).orElse(null);
    return () -> {
      long started = System.nanoTime();
      RenderedReport r = ReportRenderer.render(content, limits);
      return new StoredReport.Draft(states.stream().map(Specimen.State::id).toList(), clientId, List.copyOf(recipients), r.pages(), r.pdf(), r.pdfSha256(), r.xlsx(), r.xlsxSha256(),
          (System.nanoTime() - started) / 1_000_000);
    };
  }

  private static ReportContent.Client client(Client.State c) {
    List<String> address = c.address() == null ? List.of() : c.address().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    return new ReportContent.Client(c.code(), c.name(), address, c.contacts().stream().filter(Client.Contact::receivesReports)
        .map(contact -> new ReportContent.Contact(contact.name(), contact.email())).toList());
  }

  private static ReportContent.Specimen specimen(Specimen.State s) {
    Instant received = null;
    Map<String, Object> result = Map.of();
    ReportContent.Approval approval = null;
    List<ReportContent.CustodyLine> custody = new ArrayList<>();
    for (Specimen.HistoryEntry entry : s.history()) {
      if (Action.RECEIVE.named(entry.action())) received = entry.custody().at();
      if (Action.ANALYSIS_SUCCEEDED.named(entry.action())) result = resultOf(entry);
      if (Action.REQUEST_REEXPERIMENT.named(entry.action())) result = Map.of(); // that run's results were invalidated
      if (Action.APPROVE.named(entry.action())) approval = new ReportContent.Approval(entry.custody().userId(), entry.custody().at());
      custody.add(new ReportContent.CustodyLine(entry.action(), entry.from() == null ? "" : entry.from().name(),
          entry.to() == null ? "" : entry.to().name(), entry.custody().userId(), entry.custody().at()));
    }
    var r = s.registration();
    return new ReportContent.Specimen(s.id(), s.barcode(), r.type(), r.collectedAt(), received, r.testsRequested(), result, approval, custody);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> resultOf(Specimen.HistoryEntry entry) {
    Object result = entry.data() == null ? null : entry.data().get("result");
    return result instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }
}
