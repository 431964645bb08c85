package lims.reporting.render;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.oned.Code128Writer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A specimen's barcode as a Code 128 PNG, the symbology its label carries, so a scanner at the
 * client's reads the report's barcode as it reads the tube. Bars are whole pixels (no smoothing) and
 * the quiet zone is the standard ten modules, so the image decodes after it is embedded.
 */
final class Code128Image {
  static final int MODULE_PX = 2;
  static final int HEIGHT_PX = 64;
  private static final int QUIET_ZONE_MODULES = 10;

  private Code128Image() {}

  /** The PNG and its width in modules (to size it on the page at a fixed module width). */
  record Png(byte[] bytes, int modules) {}

  static Png of(String barcode) {
    BitMatrix modules = new Code128Writer().encode(
        barcode, BarcodeFormat.CODE_128, 0, 1, Map.of(EncodeHintType.MARGIN, QUIET_ZONE_MODULES));
    int width = modules.getWidth() * MODULE_PX;
    BufferedImage image = new BufferedImage(width, HEIGHT_PX, BufferedImage.TYPE_BYTE_BINARY);
    for (int x = 0; x < width; x++) {
      int rgb = modules.get(x / MODULE_PX, 0) ? 0x000000 : 0xFFFFFF;
      for (int y = 0; y < HEIGHT_PX; y++) image.setRGB(x, y, rgb);
    }
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, "png", out);
      return new Png(out.toByteArray(), modules.getWidth());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
