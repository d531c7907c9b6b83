package store

import "github.com/gulag/chief-monitor/models"

// Retention deletes in bounded chunks, each its own short transaction, so that ingest never
// waits long behind it.

// DeleteEventsBefore deletes at most limit events whose event time is before cutoffMs.
func (t *Tx) DeleteEventsBefore(cutoffMs int64, limit int) (int64, error) {
	oldest := t.db.Model(&models.TelemetryEvent{}).Select("id").Where("event_at_ms < ?", cutoffMs).
		Order("event_at_ms").Limit(limit)
	res := t.db.Where("id IN (?)", oldest).Delete(&models.TelemetryEvent{})
	return res.RowsAffected, wrap("retention", res.Error)
}

// DeleteEventsReceivedBefore deletes, among the limit oldest rows by id, those received before
// cutoff (a server timestamp). more reports whether the next chunk may hold more such rows.
func (t *Tx) DeleteEventsReceivedBefore(cutoff string, limit int) (n int64, more bool, err error) {
	oldest := t.db.Model(&models.TelemetryEvent{}).Select("id, received_at").Order("id").Limit(limit)
	chunk := t.db.Table("(?) AS oldest", oldest).Select("id").Where("received_at < ?", cutoff)
	res := t.db.Where("id IN (?)", chunk).Delete(&models.TelemetryEvent{})
	return res.RowsAffected, res.RowsAffected == int64(limit), wrap("retention", res.Error)
}

// DeleteHourlyBefore drops the hourly counts of hours before cutoffMs.
func (t *Tx) DeleteHourlyBefore(cutoffMs int64) error {
	return wrap("retention", t.db.Where("hour_ms < ?", HourOf(cutoffMs)).Delete(&models.HourlyCount{}).Error)
}
