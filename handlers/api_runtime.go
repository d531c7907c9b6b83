package handlers

import (
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

type runtimeResponse struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heapAllocBytes"`
	HeapSysBytes   uint64 `json:"heapSysBytes"`
	NumGC          uint32 `json:"numGC"`
	OpenFDs        int    `json:"openFDs"`
	VmRSSKB        int64  `json:"vmRSSKB"`
	VmHWMKB        int64  `json:"vmHWMKB"`
	WriterGroups   int64  `json:"writerGroups"`
	WriterRequests int64  `json:"writerRequests"`
}

// runtimeStats is GET /v1/runtime: process health numbers for soak runs and operators
// (goroutines, heap, open file descriptors, resident memory, group-commit counters).
func (h *Handler) runtimeStats(c *fiber.Ctx) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := runtimeResponse{Goroutines: runtime.NumGoroutine(), HeapAllocBytes: ms.HeapAlloc, HeapSysBytes: ms.HeapSys,
		NumGC: ms.NumGC, OpenFDs: -1, VmRSSKB: procStatusKB("VmRSS"), VmHWMKB: procStatusKB("VmHWM")}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		out.OpenFDs = len(fds)
	}
	if h.writer != nil {
		out.WriterGroups, out.WriterRequests = h.writer.Stats()
	}
	return writeJSON(c, fiber.StatusOK, out)
}

func procStatusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return -1
}
