package link_test

import (
	"fmt"
	"time"

	"netmatrix/harness/link"
)

// A model decides fates without any network: here 2% loss, a 10 Mbit/s
// bottleneck and 20 ms of delay, for 1500-byte packets offered every
// millisecond (12 Mbit/s, more than the link carries).
func ExampleModel() {
	spec := link.Symmetric(link.Config{
		Loss:      0.02,
		Delay:     20 * time.Millisecond,
		Bandwidth: 10_000_000,
		Queue:     20,
	}, 1)
	m := spec.Model(link.Up)
	var c link.Counters
	for i := range 10_000 {
		f := m.Decide(time.Duration(i)*time.Millisecond, 1500)
		c.Count(&f)
	}
	fmt.Printf("lost %d, tail-dropped %d, forwarded %d\n", c.Lost, c.QueueDrops, c.Forwarded)
	fmt.Println("serialisation:", link.Serialization(1500, 10_000_000))
	// Output:
	// lost 201, tail-dropped 1447, forwarded 8352
	// serialisation: 1.2ms
}

func ExampleProfile() {
	spec, err := link.Profile("satellite")
	if err != nil {
		panic(err)
	}
	fmt.Println(spec.Down.Delay, link.FormatBandwidth(spec.Down.Bandwidth), link.FormatBandwidth(spec.Up.Bandwidth))
	_, err = link.Profile("dialup")
	fmt.Println(err)
	// Output:
	// 300ms 25mbit 3mbit
	// link: no profile "dialup"; valid profiles: 3g, 4g, clean, lan, lossy, satellite, wifi
}
