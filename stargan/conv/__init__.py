"""The convolution engine: functions, links, the formulation choice, GEMM,
Winograd, CPU threads."""
