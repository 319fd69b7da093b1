// Package neterr answers questions about network errors that every
// transport package asks the same way.
package neterr
