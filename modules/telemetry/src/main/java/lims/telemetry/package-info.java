/**
 * Telemetry ingest and storage (docs/telemetry.md): batches of readings from instrument
 * adapters are checked against their device's channels, stored once per (device, seq) in one
 * transaction with their one-minute rollups, then told to the {@link lims.device.telemetry.ReadingsListener}s;
 * queries answer raw readings or buckets; retention drops what is past its age.
 */
package lims.telemetry;
