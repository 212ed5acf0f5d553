// Board top for small FPGAs: the engine with a 9-pin serial host port (load inputs, read outputs, start, status).
// A host shifts in 37-bit commands {write, address[19:0], data[15:0]} on `sin` while `shift` is high; `commit` performs
// it: a write stores data, a read latches the word at the address (valid two cycles later), shifted out on `sout`.
module sa_top #(
  parameter P = 4, K = 2, CB = 6, G = 3, TW = 48, GW = 24, WB = 0,
  parameter ACT_DEPTH = 8192, TERMS_DEPTH = 1, CHAN_DEPTH = 1, GAIN_DEPTH = 1, LUT_DEPTH = 1, PROG_DEPTH = 40, AW = 20,
  parameter TERMS_FILE = "terms.hex", BIAS_FILE = "bias.hex", SHIFT_FILE = "shift.hex", GAIN_FILE = "gain.hex",
  parameter CLAMP_FILE = "clamp.hex", LUT_FILE = "lut.hex", PROG_FILE = "prog.hex",
  parameter SPRAM = 0, SP_COLS = 3, SP_PACK = 2, SP_BANKS = 1
) (
  input clk,
  input rst,
  input start,
  input sin,
  input shift,
  input commit,
  output sout,
  output busy,
  output done
);
  reg [36:0] sr;
  reg [15:0] rd;
  reg [1:0] rd_wait;
  // The per-record step outputs serve testbenches; a board reads `done`.
  // verilator lint_off UNUSEDSIGNAL
  wire step_done;
  wire [15:0] step;
  // verilator lint_on UNUSEDSIGNAL
  wire [15:0] host_rdata;
  assign sout = rd[15];
  always @(posedge clk) begin
    if (shift) begin sr <= {sr[35:0], sin}; rd <= {rd[14:0], 1'b0}; end
    rd_wait <= {rd_wait[0], commit && !sr[36]};
    if (rd_wait[1]) rd <= host_rdata;
  end
  sa_engine #(
    .P(P), .K(K), .CB(CB), .G(G), .TW(TW), .GW(GW), .WB(WB), .ACT_DEPTH(ACT_DEPTH), .TERMS_DEPTH(TERMS_DEPTH), .CHAN_DEPTH(CHAN_DEPTH),
    .GAIN_DEPTH(GAIN_DEPTH), .LUT_DEPTH(LUT_DEPTH), .PROG_DEPTH(PROG_DEPTH), .AW(AW), .TERMS_FILE(TERMS_FILE), .BIAS_FILE(BIAS_FILE),
    .SHIFT_FILE(SHIFT_FILE), .GAIN_FILE(GAIN_FILE), .CLAMP_FILE(CLAMP_FILE), .LUT_FILE(LUT_FILE), .PROG_FILE(PROG_FILE),
    .SPRAM(SPRAM), .SP_COLS(SP_COLS), .SP_PACK(SP_PACK), .SP_BANKS(SP_BANKS)
  ) engine (
    .clk(clk), .rst(rst), .start(start), .busy(busy), .done(done), .step_done(step_done), .step(step),
    .host_we(commit && sr[36]), .host_addr(sr[35:16]), .host_wdata(sr[15:0]), .host_rdata(host_rdata)
  );
endmodule
