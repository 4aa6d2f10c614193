// Package certificate defines the registered client certificate: the record stored in the
// certificate table, the canonical form of a serial number, and the checks that decide whether
// a presented certificate may still be used.
//
// Every module reads and writes records through these types, so the functions, the
// infrastructure and the CA tool agree on one item layout.
package certificate
