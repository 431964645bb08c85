package lims.specimen;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.oned.Code128Writer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import javax.imageio.ImageIO;

/** A Code 128 label of a barcode, as PNG, sized for a tube label printer. */
public final class BarcodeLabel {

  private static final int WIDTH = 400;
  private static final int HEIGHT = 120;

  private BarcodeLabel() {}

  public static byte[] png(String barcode) {
    BitMatrix bars = new Code128Writer().encode(barcode, BarcodeFormat.CODE_128, WIDTH, HEIGHT, Map.of(EncodeHintType.MARGIN, 10));
    BufferedImage image = new BufferedImage(bars.getWidth(), bars.getHeight(), BufferedImage.TYPE_BYTE_BINARY);
    for (int x = 0; x < bars.getWidth(); x++) {
      for (int y = 0; y < bars.getHeight(); y++) {
        image.setRGB(x, y, bars.get(x, y) ? 0xFF000000 : 0xFFFFFFFF);
      }
    }
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
