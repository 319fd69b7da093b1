// Package kernelver tells which Linux release this process runs on, for
// the fields of a kernel structure (TCP_INFO's) that older releases
// leave zero: a zero that reads as a measurement.
package kernelver
