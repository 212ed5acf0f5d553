// Activation memory of the engine, registered read: block RAM by default, one iCE40 UP5K SPRAM with SPRAM = 1.
// A SPRAM (SB_SPRAM256KA, 16K x 16) has one port and is not initialised by the bitstream: the host writes the inputs.
// Activations: one write and one read a cycle; on a SPRAM a write takes the port (its read data is then undefined:
// the engine never consumes a read issued while it writes, which the simulation model's X on writes checks).
module sa_act_mem #(parameter DEPTH = 8192, AW = 20, SPRAM = 0) (
  input clk,
  input wen,
  // Addresses are the engine's AW bits; the memory decodes the bits its depth needs.
  // verilator lint_off UNUSEDSIGNAL
  input [AW-1:0] wa,
  input [15:0] wd,
  input [AW-1:0] ra,
  // verilator lint_on UNUSEDSIGNAL
  output [15:0] q
);
  localparam AWD = DEPTH > 1 ? $clog2(DEPTH) : 1;
  generate
    if (SPRAM != 0) begin : g_spram
      // verilator lint_off UNUSEDSIGNAL
      wire [AW-1:0] a = wen ? wa : ra;
      // verilator lint_on UNUSEDSIGNAL
      SB_SPRAM256KA ram (
        .ADDRESS(a[13:0]), .DATAIN(wd), .MASKWREN(4'b1111), .WREN(wen), .CHIPSELECT(1'b1), .CLOCK(clk),
        .STANDBY(1'b0), .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(q)
      );
    end else begin : g_bram
      reg [15:0] mem [0:DEPTH-1];
      reg [15:0] q_r;
      always @(posedge clk) begin
        if (wen) mem[wa[AWD-1:0]] <= wd;
        q_r <= mem[ra[AWD-1:0]];
      end
      assign q = q_r;
    end
  endgenerate
endmodule

