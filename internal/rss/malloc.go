package rss

// #include <malloc.h>
import "C"

// MallocInUse returns the bytes that C's malloc has handed out and not had
// back (glibc's mallinfo2 uordblks + hblkhd). Unlike the resident set it
// does not count freed memory the allocator keeps for reuse, so it tells a
// leak from fragmentation: TensorFlow allocates through malloc.
func MallocInUse() int64 {
	info := C.mallinfo2()
	return int64(info.uordblks) + int64(info.hblkhd)
}
