package lims.reporting.render;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import lims.reporting.render.ReportContent.Client;
import lims.reporting.render.ReportContent.CustodyLine;
import lims.reporting.render.ReportContent.Lab;
import lims.reporting.render.ReportContent.Specimen;

/**
 * The certificate of analysis as XHTML for openhtmltopdf: every value from the content is escaped
 * here and nowhere else, so nothing a client, a user or a pipeline wrote can become markup. The look
 * lives in {@code report.css}; this class only says what is on the page and in which order.
 */
final class ReportHtml {
  private static final String CSS = resource("report.css");
  /** A barcode module is this wide on paper: 0.33 mm is Code 128's common X-dimension for labels. */
  private static final double MODULE_MM = 0.33;

  private final ReportContent content;
  private final DateTimeFormatter time;
  private final StringBuilder out = new StringBuilder(64 * 1024);

  private ReportHtml(ReportContent content) {
    this.content = content;
    this.time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(content.zone());
  }

  static String of(ReportContent content) {
    return new ReportHtml(content).document();
  }

  private String document() {
    String title = "Report " + content.reportId() + " v" + content.version();
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"UTF-8\"/><title>")
        .append(esc(content.lab().name() + " — Certificate of analysis — " + title))
        .append("</title><style>").append(CSS).append("</style></head><body>");
    out.append("<div id=\"running-head\">").append(esc(content.lab().name())).append(" · Certificate of analysis · ")
        .append(esc(title)).append("</div>");
    out.append("<div id=\"running-foot\">").append(esc(title))
        .append(" — page <span class=\"page\"></span> of <span class=\"pages\"></span></div>");
    out.append("<div id=\"running-issued\">Issued ").append(esc(time.format(content.generatedAt()))).append(' ')
        .append(esc(zoneName(content.zone()))).append("</div>");
    masthead(content.lab(), title);
    parties(content.client());
    for (Specimen s : content.specimens()) specimen(s);
    out.append("<p class=\"closing\">The results relate only to the specimens as received. This report shall not be "
        + "reproduced except in full without the laboratory's written approval.</p>");
    out.append("<p class=\"end\">— End of report —</p>");
    out.append("</body></html>");
    return out.toString();
  }

  private void masthead(Lab lab, String title) {
    out.append("<table class=\"masthead\"><tr>");
    if (lab.logoPng() != null && lab.logoPng().length > 0) {
      out.append("<td class=\"logo\"><img src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(lab.logoPng())).append("\" alt=\"logo\"/></td>");
    }
    out.append("<td class=\"lab\"><div class=\"lab-name\">").append(esc(lab.name())).append("</div>");
    for (String line : lab.address()) out.append("<div>").append(esc(line)).append("</div>");
    if (!lab.accreditation().isBlank()) {
      out.append("<div class=\"accreditation\">").append(esc(lab.accreditation())).append("</div>");
    }
    out.append("</td><td class=\"doc\"><div class=\"doc-title\">Certificate of Analysis</div><table class=\"kv\">");
    kv("Report", content.reportId());
    kv("Version", String.valueOf(content.version()));
    kv("Issued", time.format(content.generatedAt()));
    kv("Times in", zoneName(content.zone()));
    kv("Specimens", String.valueOf(content.specimens().size()));
    out.append("</table></td></tr></table>");
  }

  private void parties(Client client) {
    out.append("<table class=\"parties\"><tr><td class=\"box\"><div class=\"box-title\">Client</div>");
    if (client == null) {
      out.append("<div class=\"muted\">No client on record</div></td><td class=\"box\"></td>");
    } else {
      out.append("<div class=\"strong\">").append(esc(client.name())).append("</div>");
      for (String line : client.address()) out.append("<div>").append(esc(line)).append("</div>");
      out.append("<div class=\"code\">Client code ").append(esc(client.code())).append("</div></td>");
      out.append("<td class=\"box\"><div class=\"box-title\">Report to</div>");
      if (client.contacts().isEmpty()) out.append("<div class=\"muted\">No report contact</div>");
      for (ReportContent.Contact c : client.contacts()) {
        out.append("<div class=\"contact\"><div class=\"strong\">").append(esc(c.name())).append("</div>")
            .append("<div class=\"muted\">").append(esc(c.email())).append("</div></div>");
      }
      out.append("</td>");
    }
    out.append("</tr></table>");
  }

  private void specimen(Specimen s) {
    Code128Image.Png barcode = Code128Image.of(s.barcode());
    out.append("<div class=\"specimen\"><table class=\"specimen-head\"><tr><td class=\"specimen-facts\">")
        .append("<div class=\"specimen-id\">Specimen ").append(esc(s.id())).append("</div><table class=\"kv\">");
    kv("Type", s.type());
    kv("Collected", at(s.collectedAt()));
    kv("Received", at(s.receivedAt()));
    kv("Tests requested", s.testsRequested().isEmpty() ? "—" : String.join(", ", s.testsRequested()));
    String width = String.format(Locale.ROOT, "%.1fmm", barcode.modules() * MODULE_MM);
    out.append("</table></td><td class=\"barcode\"><div class=\"barcode-box\" style=\"width: ").append(width)
        .append("\"><img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(barcode.bytes()))
        .append("\" alt=\"").append(esc(s.barcode())).append("\" style=\"width: ").append(width).append("\"/>")
        .append("<div class=\"barcode-text\">").append(esc(s.barcode())).append("</div></div></td></tr></table>");
    ResultRows.Rows rows = ResultRows.of(s.result());
    results(s, rows.results());
    details(rows.details());
    out.append("<div class=\"approval\">");
    if (s.approval() == null) {
      out.append("<span class=\"muted\">Not approved</span>");
    } else {
      out.append("Results approved by <span class=\"strong\">").append(esc(s.approval().reviewer()))
          .append("</span> on ").append(esc(at(s.approval().at())));
    }
    out.append("</div>");
    custody(s.custody());
    out.append("</div>");
  }

  private void results(Specimen s, List<ResultRow> rows) {
    if (rows.isEmpty()) {
      out.append("<div class=\"section-title\">Results</div><div class=\"muted\">No results recorded</div>");
      return;
    }
    // The caption row is part of the header, so a table continued on the next page says whose results they are.
    out.append("<table class=\"results\"><colgroup><col class=\"c-test\"/><col class=\"c-value\"/>")
        .append("<col class=\"c-unit\"/><col class=\"c-flag\"/><col class=\"c-ref\"/></colgroup>")
        .append("<thead><tr class=\"caption\"><th colspan=\"5\">Results · specimen ")
        .append(esc(s.id())).append(s.type().isBlank() ? "" : " · " + esc(s.type())).append("</th></tr>")
        .append("<tr><th>Test</th><th>Result</th><th>Unit</th><th>Flag</th><th>Reference</th>")
        .append("</tr></thead><tbody>");
    int i = 0;
    for (ResultRow r : rows) {
      out.append(i++ % 2 == 1 ? "<tr class=\"alt\">" : "<tr>")
          .append("<td>").append(esc(r.test())).append("</td>")
          .append(r.abnormal() ? "<td class=\"value abnormal\">" : "<td class=\"value\">").append(esc(r.valueText()))
          .append("</td><td>").append(esc(r.unit())).append("</td>")
          .append(r.abnormal() ? "<td class=\"abnormal\">" : "<td>").append(esc(r.flag()))
          .append("</td><td>").append(esc(r.reference())).append("</td></tr>");
    }
    out.append("</tbody></table>");
  }

  /** What the pipeline said about its run besides the results (instrument, method…), as one compact line. */
  private void details(List<ResultRow> details) {
    if (details.isEmpty()) return;
    out.append("<div class=\"details\"><span class=\"details-title\">Run details</span> ");
    String sep = "";
    for (ResultRow d : details) {
      out.append(sep).append("<span class=\"muted\">").append(esc(d.test())).append("</span> ").append(esc(d.valueText()));
      sep = " · ";
    }
    out.append("</div>");
  }

  private void custody(List<CustodyLine> lines) {
    out.append("<div class=\"section-title\">Chain of custody</div>");
    if (lines.isEmpty()) {
      out.append("<div class=\"muted\">No custody record</div>");
      return;
    }
    out.append("<table class=\"custody\"><colgroup><col class=\"c-when\"/><col class=\"c-action\"/>")
        .append("<col class=\"c-states\"/><col class=\"c-user\"/></colgroup>")
        .append("<thead><tr><th>When</th><th>Action</th><th>From → to</th><th>By</th></tr></thead><tbody>");
    for (CustodyLine c : lines) {
      String from = c.from() == null || c.from().isBlank() ? "" : c.from() + " → ";
      out.append("<tr><td>").append(esc(at(c.at()))).append("</td><td>").append(esc(c.action()))
          .append("</td><td>").append(esc(from + (c.to() == null ? "" : c.to())))
          .append("</td><td>").append(esc(c.user())).append("</td></tr>");
    }
    out.append("</tbody></table>");
  }

  private void kv(String key, String value) {
    out.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value)).append("</td></tr>");
  }

  private String at(Instant instant) {
    return instant == null ? "—" : time.format(instant);
  }

  private static String zoneName(ZoneId zone) {
    return zone.getId();
  }

  /**
   * Text for XHTML: markup characters escaped, and characters XML 1.0 cannot carry (controls,
   * unpaired surrogates, U+FFFE/U+FFFF) replaced by U+FFFD so a stray byte in a result document
   * cannot stop a report from parsing.
   */
  static String esc(String text) {
    if (text == null) return "";
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
            b.append(c).append(text.charAt(++i));
          } else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || Character.isSurrogate(c)
              || c == '\uFFFE' || c == '\uFFFF') {
            b.append('\uFFFD');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  private static String resource(String name) {
    try (InputStream in = ReportHtml.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
