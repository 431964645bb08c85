package lims.reporting.render;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.MultiFormatReader;
import com.google.zxing.NotFoundException;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.graphics.PDXObject;
import org.apache.pdfbox.pdmodel.graphics.form.PDFormXObject;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.text.PDFTextStripper;

/** Reads a rendered report back as its reader would: text per page, the barcodes its images decode to, its fonts. */
public final class PdfReading {
  private PdfReading() {}

  /** The text of each page, in order. */
  public static List<String> pages(byte[] pdf) {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      List<String> pages = new ArrayList<>();
      PDFTextStripper stripper = new PDFTextStripper();
      stripper.setSortByPosition(true); // openhtmltopdf draws bold runs after the regular ones of a line
      for (int p = 1; p <= doc.getNumberOfPages(); p++) {
        stripper.setStartPage(p);
        stripper.setEndPage(p);
        pages.add(stripper.getText(doc));
      }
      return pages;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String text(byte[] pdf) {
    return String.join("\n", pages(pdf));
  }

  /** Every image on the pages that decodes as a Code 128 barcode, in page order. */
  public static List<String> barcodes(byte[] pdf) {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      List<String> found = new ArrayList<>();
      for (PDPage page : doc.getPages()) decodeImages(page.getResources(), found);
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names of the fonts the pages use, and whether each is embedded. */
  public static Map<String, Boolean> fonts(byte[] pdf) {
    try (PDDocument doc = Loader.loadPDF(pdf)) {
      Map<String, Boolean> fonts = new java.util.TreeMap<>();
      for (PDPage page : doc.getPages()) {
        PDResources resources = page.getResources();
        for (COSName name : resources.getFontNames()) {
          PDFont font = resources.getFont(name);
          fonts.put(font.getName(), font.isEmbedded());
        }
      }
      return fonts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void decodeImages(PDResources resources, List<String> found) throws IOException {
    if (resources == null) return;
    for (COSName name : resources.getXObjectNames()) {
      PDXObject object = resources.getXObject(name);
      if (object instanceof PDImageXObject image) {
        String text = decode(image.getImage());
        if (text != null) found.add(text);
      } else if (object instanceof PDFormXObject form) {
        decodeImages(form.getResources(), found);
      }
    }
  }

  private static String decode(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] pixels = image.getRGB(0, 0, w, h, null, 0, w);
    try {
      return new MultiFormatReader().decode(
          new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(w, h, pixels))),
          Map.of(DecodeHintType.POSSIBLE_FORMATS, List.of(BarcodeFormat.CODE_128), DecodeHintType.TRY_HARDER, true))
          .getText();
    } catch (NotFoundException notABarcode) {
      return null;
    }
  }
}
