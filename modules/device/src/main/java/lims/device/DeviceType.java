package lims.device;

import java.util.List;
import java.util.Optional;
import lims.kernel.WireNames;

/** The kinds of instrument and the operations each supports (docs/domain.md, Devices). */
public enum DeviceType {
  LIQUID_HANDLER(List.of("pipette_transfer", "dispense_reagent", "aspirate", "mix")),
  INCUBATOR(List.of("incubate", "heat", "cool", "shake")),
  PLATE_READER(List.of("read_absorbance", "read_fluorescence"));

  private final List<String> operations;

  DeviceType(List<String> operations) {
    this.operations = operations;
  }

  public List<String> operations() {
    return operations;
  }

  public boolean supports(String operation) {
    return operations.contains(operation);
  }

  public String wireName() {
    return WireNames.of(this);
  }

  public static Optional<DeviceType> fromWireName(String name) {
    return WireNames.parse(DeviceType.class, name);
  }
}
