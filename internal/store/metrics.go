package store

import (
	"context"

	"github.com/gulag/chief-monitor/models"
)

// The queries below feed the monitor's /metrics: each is one GROUP BY over a whole table, so
// a scrape costs a fixed handful of queries however many jobs there are.

// RunCount is how many stored runs of one job ended with one status.
type RunCount struct {
	JobName string
	Status  models.RunStatus
	Count   int64
}

// RunCounts counts the stored runs by job and status (the runs retention has not deleted yet).
func (s *Store) RunCounts(ctx context.Context) ([]RunCount, error) {
	var out []RunCount
	err := s.db.WithContext(ctx).Model(&models.Run{}).Select("job_name, status, COUNT(*) AS count").
		Group("job_name, status").Order("job_name, status").Scan(&out).Error
	return out, wrap("run counts", err)
}

// DeliveryCount is how many alert_deliveries rows of one channel have one status.
type DeliveryCount struct {
	Channel string
	Status  string
	Count   int64
}

// DeliveryCounts counts the alert_deliveries rows by channel and status.
func (s *Store) DeliveryCounts(ctx context.Context) ([]DeliveryCount, error) {
	var out []DeliveryCount
	err := s.db.WithContext(ctx).Model(&models.AlertDelivery{}).Select("channel, status, COUNT(*) AS count").
		Group("channel, status").Order("channel, status").Scan(&out).Error
	return out, wrap("delivery counts", err)
}
