package lims.reporting.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import lims.reporting.render.ReportContent.Approval;
import lims.reporting.render.ReportContent.Client;
import lims.reporting.render.ReportContent.Contact;
import lims.reporting.render.ReportContent.CustodyLine;
import lims.reporting.render.ReportContent.Lab;
import lims.reporting.render.ReportContent.Specimen;
import lims.specimen.Barcodes;

/** Report content as a lab would have it: a short one-specimen report and a large batch report. */
public final class SampleReports {
  public static final Instant GENERATED = Instant.parse("2026-03-12T14:05:00Z");
  public static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
  public static final String GREEK_CONTACT = "Δημήτρης Παπαδόπουλος";
  public static final String CYRILLIC_CONTACT = "Ольга Иванова";
  public static final String LATIN_EXT_CLIENT = "Zakład Analiz Środowiskowych Łódź";
  private static final String[][] PANEL = {
      {"Glucose (fasting)", "mmol/L", "3.9–5.5"}, {"HbA1c", "%", "4.0–5.6"}, {"Sodium", "mmol/L", "135–145"},
      {"Potassium", "mmol/L", "3.5–5.1"}, {"Chloride", "mmol/L", "98–107"}, {"Creatinine", "µmol/L", "59–104"},
      {"eGFR (CKD-EPI)", "mL/min/1.73m²", "> 90"}, {"Urea", "mmol/L", "2.5–7.8"}, {"ALT", "U/L", "< 41"},
      {"AST", "U/L", "< 40"}, {"Total cholesterol", "mmol/L", "< 5.2"}, {"Triglycerides", "mmol/L", "< 1.7"},
      {"CRP", "mg/L", "< 5"}, {"TSH", "mIU/L", "0.27–4.2"}};

  private SampleReports() {}

  public static Lab lab() {
    return new Lab("Nordlicht Analytical Laboratories GmbH",
        List.of("Wissenschaftspark 12, 37077 Göttingen, Germany", "+49 551 555 0100 · reports@nordlicht-labs.example"),
        "Testing laboratory accredited to DIN EN ISO/IEC 17025:2018 by DAkkS, D-PL-21234-01-00", logo());
  }

  public static Client client() {
    return new Client("ZAS-LODZ", LATIN_EXT_CLIENT, List.of("ul. Piotrkowska 104", "90-926 Łódź, Poland"),
        List.of(new Contact(GREEK_CONTACT, "d.papadopoulos@zas.example"), new Contact(CYRILLIC_CONTACT, "o.ivanova@zas.example")));
  }

  public static ReportContent shortReport() {
    return new ReportContent("RPT-2026-000042", 1, GENERATED, ZONE, lab(), client(),
        List.of(specimen(123, PANEL.length, "Dr. Anna Schäfer")));
  }

  /** {@code specimens} specimens of {@code rows} results each: a test batch's report. */
  public static ReportContent batchReport(int specimens, int rows) {
    List<Specimen> list = new ArrayList<>();
    for (int i = 0; i < specimens; i++) list.add(specimen(500 + i, rows, "Dr. Jiří Novák"));
    return new ReportContent("RPT-2026-000077", 2, GENERATED, ZONE, lab(), client(), list);
  }

  public static Specimen specimen(int n, int rows, String reviewer) {
    String id = String.format("SP-2026-%06d", n);
    Instant collected = GENERATED.minus(Duration.ofDays(3)).plus(Duration.ofMinutes(n % 50));
    List<Map<String, Object>> results = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      String[] test = PANEL[r % PANEL.length];
      double value = Math.round((4.2 + ((n * 31 + r * 17) % 97) / 10.0) * 100) / 100.0;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("test", rows > PANEL.length ? test[0] + " (replicate " + (r / PANEL.length + 1) + ")" : test[0]);
      row.put("value", value);
      row.put("unit", test[1]);
      row.put("flag", r % 7 == 3 ? "H" : r % 11 == 5 ? "L" : "");
      row.put("reference", test[2]);
      results.add(row);
    }
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("status", "succeeded");
    document.put("results", results);
    document.put("instrument", "Cobas c 503 #2");
    document.put("method", Map.of("panel", "CMP-14", "revision", 7));
    Instant approved = GENERATED.minus(Duration.ofHours(2));
    return new Specimen(id, Barcodes.forSpecimen(id), "Serum", collected, collected.plus(Duration.ofHours(5)),
        List.of("CMP-14", "HbA1c", "TSH"), document, new Approval(reviewer, approved), custody(collected, reviewer, approved));
  }

  private static List<CustodyLine> custody(Instant collected, String reviewer, Instant approved) {
    Instant received = collected.plus(Duration.ofHours(5));
    return List.of(
        new CustodyLine("register", "", "REGISTERED", "reception.m.weber", collected.plus(Duration.ofHours(1))),
        new CustodyLine("receive", "REGISTERED", "RECEIVED", "reception.m.weber", received),
        new CustodyLine("pass_qc", "RECEIVED", "QC_PASSED", "tech.l.fischer", received.plus(Duration.ofMinutes(40))),
        new CustodyLine("start_analysis", "QC_PASSED", "IN_ANALYSIS", "tech.l.fischer", received.plus(Duration.ofHours(1))),
        new CustodyLine("analysis_succeeded", "IN_ANALYSIS", "IN_REVIEW", "system", received.plus(Duration.ofHours(3))),
        new CustodyLine("approve", "IN_REVIEW", "APPROVED", reviewer, approved));
  }

  /** A small round logo drawn here, so the sample needs no image file. */
  static byte[] logo() {
    BufferedImage image = new BufferedImage(240, 240, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(0x1f3b5a));
    g.fillOval(8, 8, 224, 224);
    g.setColor(new Color(0x8fd3c7));
    g.setStroke(new BasicStroke(14));
    g.drawArc(44, 44, 152, 152, 30, 240);
    g.setColor(Color.WHITE);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 84));
    g.drawString("NL", 66, 150);
    g.dispose();
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
