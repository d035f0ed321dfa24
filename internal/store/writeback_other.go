//go:build !linux

package store

// startWriteBack is a hint that only Linux takes.
func startWriteBack(string) {}
