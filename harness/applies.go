package harness

// Applies reports whether Run runs transport for workload at all (HTTP
// only over TCP, bulk not as a stream per message), so a caller that plans
// around a run, such as cmd/compare's progress estimate, counts the same
// runs.
func Applies(workload, transport string) bool { return applies(workload, transport) }
