package savedmodel

// Internals the external tests drive directly.
var (
	ReadLimited = readLimited
	CheckOps    = checkOps
)

// RegisteredOps is the set of op types libtensorflow knows.
func RegisteredOps() map[string]bool {
	all, err := allOps()
	if err != nil {
		panic(err)
	}
	ops := map[string]bool{}
	for _, def := range all.GetOp() {
		ops[def.GetName()] = true
	}
	return ops
}
