/**
 * Reports and their delivery: when a specimen (or a test batch) is approved, a report is
 * rendered in isolation (its own dispatcher, a durable job queue, a time limit and a size
 * cap), stored immutably with its SHA-256, and emailed to the client's report contacts.
 */
package lims.reporting;
