// Command compare runs TCP, UDP and QUIC side by side over the same path
// and prints what each gave the application.
//
//	go run ./cmd/compare                     # clean and lossy emulated paths, every transport
//	go run ./cmd/compare -wide               # every column, however wide the terminal
//	go run ./cmd/compare -workload stream -loss 2% -delay 40ms
//	go run ./cmd/compare -sweep loss=0,0.5,1,2,5,10% -delay 20ms -save
//	go run ./cmd/compare -replay results/2026-12-01-sweep-loss-all/run.json -format markdown
//	go run ./cmd/compare -target udp://127.0.0.1:7 -count 100
//	go run ./cmd/compare serve -listen 127.0.0.1:7007
package main
