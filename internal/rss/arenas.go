package rss

/*
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// count_arenas counts the <heap nr=...> elements malloc_info writes: one
// per arena glibc's malloc has made.
static int count_arenas(void) {
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (f == NULL) return -1;
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return n;
}

// touch allocates and frees n bytes, so that the calling thread takes an
// arena.
static void touch(size_t n) {
	char *p = malloc(n);
	if (p != NULL) { p[0] = 1; free(p); }
}
*/
import "C"

import (
	"os"
	"runtime"
	"sync"
)

// LimitArenas caps the arenas glibc's malloc makes at n (mallopt
// M_ARENA_MAX) unless the environment sets MALLOC_ARENA_MAX, which glibc
// then reads itself; it reports whether it set the cap. Arenas made before
// the call stay (glibc fixes its cap when it first needs one past its
// eighth arena, and never frees an arena): call it early, from init. glibc's default
// is eight per core: every thread that allocates while the others hold
// their arenas gets one of its own, and each keeps the pages it freed for
// reuse. TensorFlow allocates a step's buffers from whichever threads run
// its kernels, and the Go threads that call Session.Run change from call
// to call, so the arenas multiply and so does the memory each keeps.
func LimitArenas(n int) bool {
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); set {
		return false
	}
	return C.mallopt(C.M_ARENA_MAX, C.int(n)) == 1
}

// Arenas is how many arenas glibc's malloc has made in this process, as
// malloc_info reports them; -1 if it cannot say.
func Arenas() int { return int(C.count_arenas()) }

// AllocateFromThreads allocates and frees a block of bytes from each of
// threads OS threads at once, each holding its block while the others
// allocate: what makes glibc hand out arenas.
func AllocateFromThreads(threads, bytes int) {
	var ready, done sync.WaitGroup
	ready.Add(threads)
	done.Add(threads)
	release := make(chan struct{})
	for range threads {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p := C.malloc(C.size_t(bytes))
			ready.Done()
			<-release
			C.free(p)
			C.touch(C.size_t(bytes))
		}()
	}
	ready.Wait()
	close(release)
	done.Wait()
}
