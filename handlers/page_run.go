package handlers

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/views"
)

// runPage is GET /runs/:runId; an unknown run answers 404 with the error banner.
func (h *Handler) runPage(c *fiber.Ctx) error {
	id, err := pathParam(c, "runId")
	if err != nil {
		return err
	}
	p := views.RunProps{Chrome: h.chrome(c), ID: strings.Clone(id)}
	r, err := h.st.Run(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return render(c, fiber.StatusNotFound, views.RunPage(p))
	}
	if err != nil {
		return err
	}
	p.Run = r
	_ = json.Unmarshal([]byte(r.ScriptsJSON), &p.Scripts) // written by the ingest service
	if p.Events, err = h.st.RunEvents(c.UserContext(), *r, maxRunEvents); err != nil {
		return err
	}
	for _, e := range p.Events {
		if e.EventType == telemetry.EventWorkerMessage {
			p.Messages = append(p.Messages, e)
		}
	}
	return render(c, fiber.StatusOK, views.RunPage(p))
}
