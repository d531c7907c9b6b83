// Package config loads and validates chief.yaml: strict decoding from the YAML node tree (so
// every error names its field path, such as jobs[0].schedule.time), the defaults of the Chief
// specification, path resolution against the config directory, and compilation of each job's
// schedule DSL into a schedule.Schedule.
package config
