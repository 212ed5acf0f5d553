// Term memory of the engine, registered read: block RAM from $readmemh by default, iCE40 UP5K SPRAMs with SPRAM = 1.
// SPRAMs are not initialised by the bitstream: the host loads the terms over its port before `start` (an address with
// bit 19 set: {1, 0, column[1:0], row[15:0]}, sa_engine.v).
// Term words (TW bits, read-only while the engine runs). On SPRAMs: COLS side by side make a row of 16 x COLS bits
// holding PACK (1 or 2) words, BANKS rows of 16K deep; word i is in row i >> (PACK - 1), half i[0] when PACK = 2.
module sa_terms_mem #(
  parameter TW = 48, DEPTH = 1, AW = 20, FILE = "terms.hex", SPRAM = 0, COLS = 3, PACK = 2, BANKS = 1
) (
  input clk,
  // The AW-bit address and the load port (block RAM leaves it unused): the bits the memory needs.
  // verilator lint_off UNUSEDSIGNAL
  input [AW-1:0] addr,
  output [TW-1:0] q,
  input load_we,
  input [1:0] load_col,
  input [15:0] load_row,
  input [15:0] load_data
  // verilator lint_on UNUSEDSIGNAL
);
  localparam AWT = DEPTH > 1 ? $clog2(DEPTH) : 1;
  localparam CW = COLS << 4;
  generate
    if (SPRAM != 0) begin : g_spram
      // verilator lint_off UNUSEDSIGNAL
      // The address widened first: a row index always has 16 bits (bank and SPRAM address), whatever AW is.
      wire [AW+15:0] aw = {16'd0, addr};
      wire [AW+15:0] row = (PACK == 2) ? aw >> 1 : aw;
      // verilator lint_on UNUSEDSIGNAL
      reg half_q;
      reg [1:0] bank_q;
      wire [CW-1:0] dout [0:3];
      genvar b, c;
      for (b = 0; b < 4; b = b + 1) begin : g_bank
        if (b < BANKS) begin : g_used
          for (c = 0; c < COLS; c = c + 1) begin : g_col
            // verilator lint_off UNUSEDSIGNAL
            wire [15:0] r = load_we ? load_row : row[15:0];
            // verilator lint_on UNUSEDSIGNAL
            wire sel = load_we && load_row[15:14] == b && load_col == c;
            SB_SPRAM256KA ram (
              .ADDRESS(r[13:0]), .DATAIN(load_data), .MASKWREN(4'b1111), .WREN(sel), .CHIPSELECT(1'b1), .CLOCK(clk),
              .STANDBY(1'b0), .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(dout[b][(c << 4) +: 16])
            );
          end
        end else begin : g_unused
          assign dout[b] = {CW{1'b0}};
        end
      end
      always @(posedge clk) begin half_q <= PACK == 2 && addr[0]; bank_q <= row[15:14]; end
      // The row of the bank read, then the half holding the word (a shift by a parameter: wiring, no logic).
      // verilator lint_off UNUSEDSIGNAL
      wire [CW-1:0] word = half_q ? dout[bank_q] >> TW : dout[bank_q];
      // verilator lint_on UNUSEDSIGNAL
      assign q = word[TW-1:0];
    end else begin : g_bram
      reg [TW-1:0] mem [0:DEPTH-1];
      reg [TW-1:0] q_r;
      initial $readmemh(FILE, mem);
      always @(posedge clk) q_r <= mem[addr[AWT-1:0]];
      assign q = q_r;
    end
  endgenerate
endmodule
