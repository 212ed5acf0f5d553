// The multiplier-free reference engine: runs a shiftaddc program (NAME_prog.hex) over the parameter memory images.
// P lanes compute P output channels of a shift layer at once, each adding the K shifted terms of its weight per cycle.
// Verilog-2005, synthesizable; every product is a shift: hw/ holds no multiply operator (test/backend-hw-sim.test.ts).
module sa_engine #(
  parameter P = 4, K = 2, CB = 6, G = 3, TW = 48, GW = 24,
  parameter ACT_DEPTH = 8192, TERMS_DEPTH = 1, CHAN_DEPTH = 1, GAIN_DEPTH = 1, LUT_DEPTH = 1, PROG_DEPTH = 40,
  parameter TERMS_FILE = "terms.hex", BIAS_FILE = "bias.hex", SHIFT_FILE = "shift.hex", GAIN_FILE = "gain.hex",
  parameter CLAMP_FILE = "clamp.hex", LUT_FILE = "lut.hex", PROG_FILE = "prog.hex"
) (
  input clk,
  input rst,
  input start,
  output reg busy,
  output reg done,
  output reg step_done,
  output reg [15:0] step,
  input host_we,
  input [19:0] host_addr,
  input [15:0] host_wdata,
  output [15:0] host_rdata
);
  `include "sa_funcs.vh"
  localparam F_OP = 0, F_X = 1, F_X2 = 2, F_Y = 3, F_CPG = 4, F_H = 5, F_W = 6, F_HW = 7, F_OH = 8, F_OW = 9, F_PLANE = 10;
  localparam F_KH = 11, F_KW = 12, F_SH = 13, F_SW = 14, F_PADT = 15, F_PADL = 16, F_GROUPS = 17, F_MPG = 18, F_D = 19;
  localparam F_TERMS = 20, F_CHAN = 21, F_GAIN = 22, F_HASGAIN = 23, F_LO = 24, F_HI = 25, F_SHIFT = 26, F_ALA = 27, F_ALB = 28;
  localparam F_WIDE = 29, F_CSDP = 30, F_CSDN = 31, F_N = 32, F_GIN = 33, F_SHW = 34, F_PADTW = 35, F_LUT = 36, F_CSDD = 37;
  localparam F_GOUT = 38, F_LPLANE = 39, NF = 40;
  localparam OP_END = 0, OP_CONV = 1, OP_MAX = 2, OP_AVG = 3, OP_QADD = 4, OP_REQ = 5, OP_LUT = 6;
  localparam S_IDLE = 4'd0, S_LOAD = 4'd1, S_DISP = 4'd2, S_TAP = 4'd3, S_DRAIN = 4'd4, S_PREAD = 4'd5, S_PWRITE = 4'd6;
  // Index widths of the memories (at least 1 bit: a one-word memory still takes an index).
  localparam AW_ACT = ACT_DEPTH > 1 ? $clog2(ACT_DEPTH) : 1, AW_TERMS = TERMS_DEPTH > 1 ? $clog2(TERMS_DEPTH) : 1;
  localparam AW_CHAN = CHAN_DEPTH > 1 ? $clog2(CHAN_DEPTH) : 1, AW_GAIN = GAIN_DEPTH > 1 ? $clog2(GAIN_DEPTH) : 1;
  localparam AW_LUT = LUT_DEPTH > 1 ? $clog2(LUT_DEPTH) : 1, AW_PROG = PROG_DEPTH > 1 ? $clog2(PROG_DEPTH) : 1, AW_LANE = P > 1 ? $clog2(P) : 1;
  localparam S_E1 = 4'd7, S_E2 = 4'd8, S_E3 = 4'd9, S_WAIT = 4'd10, S_DRAIN2 = 4'd11;

  // Memories: activations (1 read + 1 write port), program and parameters (read-only, registered reads).
  reg [15:0] act [0:ACT_DEPTH-1];
  reg [TW-1:0] terms_mem [0:TERMS_DEPTH-1];
  reg [31:0] bias_mem [0:CHAN_DEPTH-1];
  reg [7:0] shift_mem [0:CHAN_DEPTH-1];
  reg [15:0] clamp_mem [0:CHAN_DEPTH-1];
  reg [GW-1:0] gain_mem [0:GAIN_DEPTH-1];
  reg [7:0] lut_mem [0:LUT_DEPTH-1];
  reg [31:0] prog [0:PROG_DEPTH-1];
  initial begin
    $readmemh(TERMS_FILE, terms_mem); $readmemh(BIAS_FILE, bias_mem); $readmemh(SHIFT_FILE, shift_mem);
    $readmemh(CLAMP_FILE, clamp_mem); $readmemh(GAIN_FILE, gain_mem); $readmemh(LUT_FILE, lut_mem); $readmemh(PROG_FILE, prog);
  end

  // Program fields and loop counters are 32 bits; memories index their low bits (the rest is never set).
  // verilator lint_off UNUSEDSIGNAL
  reg [3:0] state;
  reg [31:0] f [0:NF-1];
  reg [5:0] ld_i;
  reg [31:0] pc;
  reg [31:0] raddr, waddr, t_addr, c_addr, g_addr, l_addr;
  reg we;
  reg [15:0] wdata;
  reg [15:0] act_q;
  reg [TW-1:0] terms_q;
  reg [31:0] bias_q;
  reg [7:0] shift_q;
  reg [15:0] clamp_q;
  reg [GW-1:0] gain_q;
  reg [7:0] lut_q;
  reg [31:0] prog_q;
  wire [31:0] p_addr = pc + {26'd0, ld_i};
  wire [31:0] ra = busy ? raddr : {12'd0, host_addr};
  // verilator lint_on UNUSEDSIGNAL
  assign host_rdata = act_q;
  always @(posedge clk) begin
    if (we) act[waddr[AW_ACT-1:0]] <= wdata;
    else if (host_we && !busy) act[host_addr[AW_ACT-1:0]] <= host_wdata;
    act_q <= act[ra[AW_ACT-1:0]];
    terms_q <= terms_mem[t_addr[AW_TERMS-1:0]];
    bias_q <= bias_mem[c_addr[AW_CHAN-1:0]]; shift_q <= shift_mem[c_addr[AW_CHAN-1:0]]; clamp_q <= clamp_mem[c_addr[AW_CHAN-1:0]];
    gain_q <= gain_mem[g_addr[AW_GAIN-1:0]]; lut_q <= lut_mem[l_addr[AW_LUT-1:0]]; prog_q <= prog[p_addr[AW_PROG-1:0]];
  end

  // Loop state of windowed ops: group, lane group, output row/column, taps; bases advanced by adds only.
  // verilator lint_off UNUSEDSIGNAL
  reg signed [31:0] acc [0:P-1];
  reg signed [31:0] acc_next [0:P-1];
  reg [31:0] gr, q, oh, ow, c, kh, kw, t, j, i, pos;
  reg signed [31:0] ih0, iw0, ih0W, cOff, khW;
  reg [31:0] xg, ygr, cgr, ggr, yq, chq, gq, tb, wa;
  // Reads take two cycles (address register, then the memory's output register): taps are pipelined that deep.
  reg tap_d, valid_d, tap_d2, valid_d2;
  reg [3:0] ret;
  reg signed [31:0] a_r;
  wire signed [31:0] ih = ih0 + $signed(kh);
  wire signed [31:0] iw = iw0 + $signed(kw);
  wire tap_valid = ih >= 0 && ih < $signed(f[F_H]) && iw >= 0 && iw < $signed(f[F_W]);
  wire [31:0] tap_addr = xg + cOff + ih0W + khW + iw;
  wire last_tap = c + 1 == f[F_CPG] && kh + 1 == f[F_KH] && kw + 1 == f[F_KW];
  wire [31:0] lanes_left = f[F_MPG] - q;
  wire signed [31:0] x_in = {{16{act_q[15]}}, act_q};
  wire signed [31:0] lo = f[F_LO], hi = f[F_HI], rsh = f[F_SHIFT];
  wire wide = f[F_WIDE][0];

  // Lane j's result: bias added, gain digits applied, requantised and clamped (pools: max, or CSD then requant);
  // the elementwise result; and every lane's accumulator after the tap now arriving (K terms a lane).
  reg signed [31:0] v0, v, y_lane, y_elem, sum;
  reg signed [CB-1:0] cfield;
  reg [GW-1:0] gw;
  reg [TW-1:0] tw;
  integer d, l, k;
  always @* begin
    v0 = acc[j[AW_LANE-1:0]] + $signed(bias_q);
    v = v0;
    gw = gain_q;
    if (f[F_HASGAIN][0]) begin
      v = 32'sd0;
      for (d = 0; d < G; d = d + 1) begin v = v + digit(gw[7:0], v0); gw = gw >> 8; end
    end
    if (f[F_OP] == OP_MAX) y_lane = acc[0];
    else if (f[F_OP] == OP_AVG) y_lane = requant(csd(acc[0], f[F_CSDP], f[F_CSDN], f[F_CSDD][4:0]), rsh, wide);
    else y_lane = clamp(requant(v, {{24{shift_q[7]}}, shift_q}, wide), lo, {{16{clamp_q[15]}}, clamp_q});
    if (f[F_OP] == OP_QADD) y_elem = clamp(requant((a_r <<< f[F_ALA][4:0]) + (x_in <<< f[F_ALB][4:0]), rsh, wide), lo, hi);
    else if (f[F_OP] == OP_LUT) y_elem = {{24{lut_q[7]}}, lut_q};
    else y_elem = clamp(requant(x_in, rsh, wide), lo, hi);
    tw = terms_q;
    for (l = 0; l < P; l = l + 1) begin
      sum = acc[l];
      for (k = 0; k < K; k = k + 1) begin cfield = tw[CB-1:0]; sum = sum + term({{(8-CB){cfield[CB-1]}}, cfield}, x_in); tw = tw >> CB; end
      acc_next[l] = sum;
    end
  end
  // verilator lint_on UNUSEDSIGNAL

  task start_taps;
    integer n;
    begin
      c <= 0; kh <= 0; kw <= 0; t <= 0; cOff <= 0; khW <= 0;
      for (n = 0; n < P; n = n + 1) acc[n] <= (f[F_OP] == OP_MAX) ? -32'sd32768 : 32'sd0;
    end
  endtask

  task end_step;
    begin
      step_done <= 1'b1; step <= step + 16'd1; pc <= pc + NF; ld_i <= 0; state <= S_LOAD;
    end
  endtask

  integer n2;
  always @(posedge clk) begin
    step_done <= 1'b0;
    we <= 1'b0;
    tap_d <= 1'b0;
    tap_d2 <= tap_d;
    valid_d2 <= valid_d;
    if (rst) begin
      state <= S_IDLE; busy <= 1'b0; done <= 1'b0; step <= 0; pc <= 0;
    end else begin
      // The tap issued last cycle: its activation and term word are here now.
      if (tap_d2 && valid_d2) begin
        if (f[F_OP] == OP_CONV) begin
          for (n2 = 0; n2 < P; n2 = n2 + 1) acc[n2] <= acc_next[n2];
        end else if (f[F_OP] == OP_MAX) begin
          if (x_in > acc[0]) acc[0] <= x_in;
        end else acc[0] <= acc[0] + x_in;
      end
      case (state)
        S_IDLE: if (start) begin busy <= 1'b1; done <= 1'b0; pc <= 0; ld_i <= 0; step <= 0; state <= S_LOAD; end
        S_LOAD: begin
          if (ld_i != 0) f[ld_i - 6'd1] <= prog_q;
          if (ld_i == NF) state <= S_DISP; else ld_i <= ld_i + 6'd1;
        end
        S_DISP: begin
          gr <= 0; q <= 0; oh <= 0; ow <= 0; pos <= 0; i <= 0;
          xg <= f[F_X]; ygr <= f[F_Y]; yq <= f[F_Y]; cgr <= f[F_CHAN]; chq <= f[F_CHAN]; ggr <= f[F_GAIN]; gq <= f[F_GAIN]; tb <= f[F_TERMS];
          ih0 <= -$signed(f[F_PADT]); iw0 <= -$signed(f[F_PADL]); ih0W <= -$signed(f[F_PADTW]);
          start_taps;
          case (f[F_OP])
            OP_END: begin busy <= 1'b0; done <= 1'b1; state <= S_IDLE; end
            OP_CONV, OP_MAX, OP_AVG: state <= S_TAP;
            OP_QADD, OP_REQ, OP_LUT: state <= S_E1;
            default: begin busy <= 1'b0; done <= 1'b1; state <= S_IDLE; end
          endcase
        end
        S_TAP: begin
          raddr <= tap_addr; t_addr <= tb + t; tap_d <= 1'b1; valid_d <= tap_valid; t <= t + 1;
          if (kw + 1 != f[F_KW]) kw <= kw + 1;
          else begin
            kw <= 0;
            if (kh + 1 != f[F_KH]) begin kh <= kh + 1; khW <= khW + $signed(f[F_W]); end
            else begin kh <= 0; khW <= 0; c <= c + 1; cOff <= cOff + $signed(f[F_HW]); end
          end
          if (last_tap) state <= S_DRAIN;
        end
        S_DRAIN: begin j <= 0; wa <= yq + pos; state <= S_DRAIN2; end
        S_DRAIN2: state <= S_PREAD;
        S_PREAD: begin c_addr <= chq + j; g_addr <= gq + j; state <= S_WAIT; ret <= S_PWRITE; end
        S_WAIT: state <= ret;
        S_PWRITE: begin
          we <= 1'b1; waddr <= wa; wdata <= y_lane[15:0];
          if (j + 1 < P && j + 1 < lanes_left) begin j <= j + 1; wa <= wa + f[F_PLANE]; state <= S_PREAD; end
          else begin
            state <= S_TAP; start_taps; pos <= pos + 1;
            if (ow + 1 != f[F_OW]) begin ow <= ow + 1; iw0 <= iw0 + $signed(f[F_SW]); end
            else begin
              ow <= 0; iw0 <= -$signed(f[F_PADL]);
              if (oh + 1 != f[F_OH]) begin oh <= oh + 1; ih0 <= ih0 + $signed(f[F_SH]); ih0W <= ih0W + $signed(f[F_SHW]); end
              else begin
                oh <= 0; ih0 <= -$signed(f[F_PADT]); ih0W <= -$signed(f[F_PADTW]); pos <= 0; tb <= tb + f[F_D];
                if (q + P < f[F_MPG]) begin q <= q + P; yq <= yq + f[F_LPLANE]; chq <= chq + P; gq <= gq + P; end
                else if (gr + 1 != f[F_GROUPS]) begin
                  gr <= gr + 1; q <= 0; xg <= xg + f[F_GIN];
                  ygr <= ygr + f[F_GOUT]; yq <= ygr + f[F_GOUT]; cgr <= cgr + f[F_MPG]; chq <= cgr + f[F_MPG];
                  ggr <= ggr + f[F_MPG]; gq <= ggr + f[F_MPG];
                end else end_step;
              end
            end
          end
        end
        S_E1: begin raddr <= f[F_X] + i; state <= S_WAIT; ret <= S_E2; end
        S_E2: begin
          if (f[F_OP] == OP_QADD) begin a_r <= x_in; raddr <= f[F_X2] + i; state <= S_WAIT; ret <= S_E3; end
          else if (f[F_OP] == OP_LUT) begin l_addr <= f[F_LUT] + x_in + 32'sd128; state <= S_WAIT; ret <= S_E3; end
          else begin
            we <= 1'b1; waddr <= f[F_Y] + i; wdata <= y_elem[15:0];
            i <= i + 1; if (i + 1 == f[F_N]) end_step; else state <= S_E1;
          end
        end
        S_E3: begin
          we <= 1'b1; waddr <= f[F_Y] + i;
          wdata <= y_elem[15:0];
          i <= i + 1; if (i + 1 == f[F_N]) end_step; else state <= S_E1;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
