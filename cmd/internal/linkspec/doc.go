// Package linkspec turns a link as a person writes it (a profile name,
// "2%", "20ms", "10mbit", a sweep such as "loss=0,1,2%") into the
// emulated scenarios harness.Run takes. The commands share it: compare
// and httpserve fanout read it from flags, httpserve's lab from a form,
// so a setting is parsed, checked and named the same way everywhere.
//
//	var s linkspec.Settings
//	s.Register(fs)                 // -profile, -loss, -delay, ..., -cc, -seed
//	spec, err := s.Spec()          // the profile with the flags over it
//	sc := s.Scenario(spec)         // one emulated path per run
package linkspec
