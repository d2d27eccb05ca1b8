//go:build !linux

package savedmodel

// exchangeDirs is only atomic on Linux; elsewhere replaceDir moves the old
// model aside first.
func exchangeDirs(a, b string) error { return errNoExchange }
