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

// TrimMalloc hands the free memory that glibc's malloc keeps in its arenas
// back to the system (malloc_trim(0) walks every arena). TensorFlow's
// threads each allocate from their own arena, which keeps freed pages for
// reuse; trimming makes the resident set show what is in use rather than
// what was once used.
func TrimMalloc() { C.malloc_trim(0) }
