// This empty assembly file lets the package declare the body-less
// functions that unsafe.go links to the runtime by name.
