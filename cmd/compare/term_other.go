//go:build !unix

package main

import "os"

// ttyWidth does not know the terminal's width here: $COLUMNS or the
// default stands.
func ttyWidth(*os.File) int { return 0 }
