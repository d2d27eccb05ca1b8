package savedmodel

// #define _GNU_SOURCE
// #include <errno.h>
// #include <fcntl.h>
// #include <stdio.h>
// #include <stdlib.h>
// #ifndef RENAME_EXCHANGE
// #define RENAME_EXCHANGE (1 << 1)
// #endif
// static int exchange(const char *a, const char *b) {
//	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0) return errno;
//	return 0;
// }
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// exchangeDirs swaps a and b atomically with renameat2(RENAME_EXCHANGE), so
// readers of b never find it missing. It returns errNoExchange where the
// kernel or file system lacks the flag.
func exchangeDirs(a, b string) error {
	ca, cb := C.CString(a), C.CString(b)
	defer C.free(unsafe.Pointer(ca))
	defer C.free(unsafe.Pointer(cb))
	switch errno := syscall.Errno(C.exchange(ca, cb)); errno {
	case 0:
		return nil
	case syscall.EINVAL, syscall.ENOSYS, syscall.EOPNOTSUPP:
		return errNoExchange
	default:
		return fmt.Errorf("exchange %s and %s: %w", a, b, errno)
	}
}
