// Package cronexport renders the crontab text of `gulag-chief export-cron`: one CRON_TZ line
// and one cron line per pure-cron or hybrid job, each line running
// `gulag-chief run --config … --job … --respect-schedule` so that bounds, exclusions and the
// monthly ordinal guard are enforced at run time.
package cronexport
