// The multiplier-free reference engine: runs a shiftaddc program (NAME_prog.hex) over the parameter memory images.
// P lanes compute P output channels of a shift layer at once, each adding the K shifted terms of its weight per cycle;
// an adder layer (AdderConv, WB > 0) runs the same loop, each lane subtracting |x - w| through its first term's adder.
// Verilog-2005, synthesizable; every product is a shift: hw/ holds no multiply operator (test/backend-hw-sim.test.ts).
module sa_engine #(
  parameter P = 4, K = 2, CB = 6, G = 3, TW = 48, GW = 24, WB = 0,
  parameter ACT_DEPTH = 8192, TERMS_DEPTH = 1, CHAN_DEPTH = 1, GAIN_DEPTH = 1, LUT_DEPTH = 1, PROG_DEPTH = 40, AW = 20,
  parameter TERMS_FILE = "terms.hex", BIAS_FILE = "bias.hex", SHIFT_FILE = "shift.hex", GAIN_FILE = "gain.hex",
  parameter CLAMP_FILE = "clamp.hex", LUT_FILE = "lut.hex", PROG_FILE = "prog.hex",
  // SPRAM = 1: activations and terms in iCE40 UP5K SPRAMs (hw/sa_act_mem.v, hw/sa_terms_mem.v), terms loaded by the host.
  parameter SPRAM = 0, SP_COLS = 3, SP_PACK = 2, SP_BANKS = 1
) (
  input clk,
  input rst,
  input start,
  output reg busy,
  output reg done,
  output reg step_done,
  output reg [15:0] step,
  input host_we,
  // verilator lint_off UNUSEDSIGNAL
  input [19:0] host_addr,
  // verilator lint_on UNUSEDSIGNAL
  input [15:0] host_wdata,
  output [15:0] host_rdata
);
  `include "sa_funcs.vh"
  localparam F_OP = 0, F_X = 1, F_X2 = 2, F_Y = 3, F_CPG = 4, F_H = 5, F_W = 6, F_HW = 7, F_OH = 8, F_OW = 9, F_PLANE = 10;
  localparam F_KH = 11, F_KW = 12, F_SH = 13, F_SW = 14, F_PADT = 15, F_PADL = 16, F_GROUPS = 17, F_MPG = 18, F_D = 19;
  localparam F_TERMS = 20, F_CHAN = 21, F_GAIN = 22, F_HASGAIN = 23, F_LO = 24, F_HI = 25, F_SHIFT = 26, F_ALA = 27, F_ALB = 28;
  localparam F_WIDE = 29, F_CSDP = 30, F_CSDN = 31, F_N = 32, F_GIN = 33, F_SHW = 34, F_PADTW = 35, F_LUT = 36, F_CSDD = 37;
  localparam F_GOUT = 38, F_LPLANE = 39, NF = 40;
  localparam OP_END = 0, OP_CONV = 1, OP_MAX = 2, OP_AVG = 3, OP_QADD = 4, OP_REQ = 5, OP_LUT = 6, OP_ADDER = 7;
  localparam S_IDLE = 4'd0, S_LOAD = 4'd1, S_DISP = 4'd2, S_TAP = 4'd3, S_DRAIN = 4'd4, S_PREAD = 4'd5, S_PWRITE = 4'd6;
  // Index widths of the memories (at least 1 bit: a one-word memory still takes an index).
  localparam AW_CHAN = CHAN_DEPTH > 1 ? $clog2(CHAN_DEPTH) : 1, AW_GAIN = GAIN_DEPTH > 1 ? $clog2(GAIN_DEPTH) : 1;
  localparam AW_LUT = LUT_DEPTH > 1 ? $clog2(LUT_DEPTH) : 1, AW_PROG = PROG_DEPTH > 1 ? $clog2(PROG_DEPTH) : 1, AW_LANE = P > 1 ? $clog2(P) : 1;
  localparam S_E1 = 4'd7, S_E2 = 4'd8, S_E3 = 4'd9, S_WAIT = 4'd10, S_DRAIN2 = 4'd11, S_CSD = 4'd12, S_GAIN = 4'd13, S_E4 = 4'd14;

  // Memories: activations (1 read + 1 write port) and terms in hw/sa_act_mem.v and hw/sa_terms_mem.v, program and
  // parameters here (read-only, registered reads).
  reg [31:0] bias_mem [0:CHAN_DEPTH-1];
  reg [7:0] shift_mem [0:CHAN_DEPTH-1];
  reg [15:0] clamp_mem [0:CHAN_DEPTH-1];
  reg [GW-1:0] gain_mem [0:GAIN_DEPTH-1];
  reg [7:0] lut_mem [0:LUT_DEPTH-1];
  reg [31:0] prog [0:PROG_DEPTH-1];
  initial begin
    $readmemh(BIAS_FILE, bias_mem); $readmemh(SHIFT_FILE, shift_mem);
    $readmemh(CLAMP_FILE, clamp_mem); $readmemh(GAIN_FILE, gain_mem); $readmemh(LUT_FILE, lut_mem); $readmemh(PROG_FILE, prog);
  end

  // Program fields are 32-bit words; addresses, loop counters and window coordinates are AW bits (AW + 1 signed),
  // enough for every memory the host port reaches (20 address bits): narrower adders and comparators, same results.
  // verilator lint_off UNUSEDSIGNAL
  reg [3:0] state;
  reg [31:0] f [0:NF-1];
  reg [5:0] ld_i;
  reg [AW-1:0] pc;
  reg [AW-1:0] raddr, waddr, t_addr, c_addr, g_addr, l_addr;
  reg we;
  reg [15:0] wdata;
  wire [15:0] act_q;
  wire [TW-1:0] terms_q;
  reg [31:0] bias_q;
  reg [7:0] shift_q;
  reg [15:0] clamp_q;
  reg [GW-1:0] gain_q;
  reg [7:0] lut_q;
  reg [31:0] prog_q;
  wire [AW-1:0] p_addr = pc + {{(AW-6){1'b0}}, ld_i};
  wire [AW-1:0] ra = busy ? raddr : host_addr[AW-1:0];
  // verilator lint_on UNUSEDSIGNAL
  assign host_rdata = act_q;
  // With SPRAMs a host write with address bit 19 set loads a term row (sa_terms_mem.v), else it writes an activation.
  wire host_term = SPRAM != 0 && host_addr[19];
  wire act_wen = we || (host_we && !busy && !host_term);
  sa_act_mem #(.DEPTH(ACT_DEPTH), .AW(AW), .SPRAM(SPRAM)) u_act (
    .clk(clk), .wen(act_wen), .wa(we ? waddr : host_addr[AW-1:0]), .wd(we ? wdata : host_wdata), .ra(ra), .q(act_q)
  );
  sa_terms_mem #(.TW(TW), .DEPTH(TERMS_DEPTH), .AW(AW), .FILE(TERMS_FILE), .SPRAM(SPRAM), .COLS(SP_COLS), .PACK(SP_PACK), .BANKS(SP_BANKS)) u_terms (
    .clk(clk), .addr(t_addr), .q(terms_q), .load_we(host_we && !busy && host_term), .load_col(host_addr[17:16]),
    .load_row(host_addr[15:0]), .load_data(host_wdata)
  );
  always @(posedge clk) begin
    bias_q <= bias_mem[c_addr[AW_CHAN-1:0]]; shift_q <= shift_mem[c_addr[AW_CHAN-1:0]]; clamp_q <= clamp_mem[c_addr[AW_CHAN-1:0]];
    gain_q <= gain_mem[g_addr[AW_GAIN-1:0]]; lut_q <= lut_mem[l_addr[AW_LUT-1:0]]; prog_q <= prog[p_addr[AW_PROG-1:0]];
  end

  // Fields as the datapath uses them: AW-bit sizes and addresses (the program never sets the bits above).
  // verilator lint_off UNUSEDSIGNAL
  wire [AW-1:0] fX = f[F_X][AW-1:0], fX2 = f[F_X2][AW-1:0], fY = f[F_Y][AW-1:0], fCPG = f[F_CPG][AW-1:0];
  wire [AW-1:0] fH = f[F_H][AW-1:0], fW = f[F_W][AW-1:0], fHW = f[F_HW][AW-1:0], fOH = f[F_OH][AW-1:0], fOW = f[F_OW][AW-1:0];
  wire [AW-1:0] fPLANE = f[F_PLANE][AW-1:0], fKH = f[F_KH][AW-1:0], fKW = f[F_KW][AW-1:0], fSH = f[F_SH][AW-1:0], fSW = f[F_SW][AW-1:0];
  wire [AW-1:0] fPADT = f[F_PADT][AW-1:0], fPADL = f[F_PADL][AW-1:0], fGROUPS = f[F_GROUPS][AW-1:0], fMPG = f[F_MPG][AW-1:0];
  wire [AW-1:0] fD = f[F_D][AW-1:0], fTERMS = f[F_TERMS][AW-1:0], fCHAN = f[F_CHAN][AW-1:0], fGAIN = f[F_GAIN][AW-1:0];
  wire [AW-1:0] fN = f[F_N][AW-1:0], fGIN = f[F_GIN][AW-1:0], fSHW = f[F_SHW][AW-1:0], fPADTW = f[F_PADTW][AW-1:0];
  wire [AW-1:0] fLUT = f[F_LUT][AW-1:0], fGOUT = f[F_GOUT][AW-1:0], fLPLANE = f[F_LPLANE][AW-1:0];
  wire [2:0] op = f[F_OP][2:0];
  localparam integer PI = P;
  localparam [AW-1:0] PA = PI[AW-1:0];
  // verilator lint_on UNUSEDSIGNAL

  // Loop state of windowed ops: group, lane group, output row/column, taps; bases advanced by adds only.
  // Address parts wrap modulo 2^AW (a padding row's negative offset included): a valid tap's sum is exact.
  // verilator lint_off UNUSEDSIGNAL
  reg signed [31:0] acc [0:P-1];
  reg signed [31:0] acc_next [0:P-1];
  reg [AW-1:0] gr, q, oh, ow, c, kh, kw, t, j, i, pos;
  reg signed [AW:0] ih0, iw0;
  reg [AW-1:0] ih0W, cOff, khW;
  reg [AW-1:0] xg, ygr, cgr, ggr, yq, chq, gq, tb, wa;
  // Reads take two cycles (address register, then the memory's output register): taps are pipelined that deep.
  reg tap_d, valid_d, tap_d2, valid_d2;
  reg [3:0] ret;
  reg signed [31:0] a_r, csd_a, q_r, r_r, lo_r, hi_r;
  reg [4:0] cj;
  wire signed [AW:0] ih = ih0 + $signed({1'b0, kh});
  wire signed [AW:0] iw = iw0 + $signed({1'b0, kw});
  wire tap_valid = ih >= 0 && ih < $signed({1'b0, fH}) && iw >= 0 && iw < $signed({1'b0, fW});
  wire [AW-1:0] tap_addr = xg + cOff + ih0W + khW + iw[AW-1:0];
  wire last_tap = c + 1 == fCPG && kh + 1 == fKH && kw + 1 == fKW;
  wire [AW-1:0] lanes_left = fMPG - q;
  wire signed [31:0] x_in = {{16{act_q[15]}}, act_q};
  wire signed [31:0] lo = f[F_LO], hi = f[F_HI], rsh = f[F_SHIFT];
  wire wide = f[F_WIDE][0];
  // Adder layers (WB > 0 only: without them the datapath below folds away): lane l's weight is field l of WB bits of
  // the term word, on the input's grid; a padded tap reads x = 0 and still counts |0 - w| (docs/numerics.md).
  localparam WBX = WB > 0 ? WB : 1;
  wire is_adder = WB > 0 && op == OP_ADDER;
  wire [15:0] x_tap = (is_adder && !valid_d2) ? 16'd0 : act_q;
  // One shifter for both QAdd operands, its amount registered as each read is issued (ALA, then ALB).
  reg [4:0] al_sh;
  wire signed [31:0] x_al = x_in <<< al_sh;
  // Average pooling's CSD multiply by 1/N runs one digit a cycle (Horner: a = 2a + d_j s), one adder.
  wire dpos = f[F_CSDP][cj], dneg = f[F_CSDN][cj];
  wire signed [31:0] csd_next = dpos ? (csd_a <<< 1) + acc[0] : dneg ? (csd_a <<< 1) - acc[0] : csd_a <<< 1;

  // The one output path, two pipeline stages: the value to requantise (bias and gain digits of a lane, a pool's CSD
  // result, an elementwise operand) with its shift and clamp bounds, chosen by op and registered (q_r, r_r, lo_r,
  // hi_r: S_GAIN, S_E2/S_E3); then a single requantiser and clamp for every op;
  // and every lane's accumulator after the tap now arriving (K terms a lane).
  reg signed [31:0] dm, tm, v0, v, rq_r, cl_lo, cl_hi, y_q, y_lane, y_elem, sum;
  reg signed [CB-1:0] cfield;
  reg [GW-1:0] gw;
  reg [TW-1:0] tw;
  reg [WBX-1:0] wl;
  reg [TW-1:0] wt;
  reg signed [17:0] dx;
  reg tneg;
  integer d, l, k;
  always @* begin
    v0 = acc[j[AW_LANE-1:0]] + $signed(bias_q);
    v = v0;
    gw = gain_q;
    if (f[F_HASGAIN][0]) begin
      v = 32'sd0;
      for (d = 0; d < G; d = d + 1) begin
        dm = digit_mag(gw[7:0], v0); v = v + (gw[7] ? ~dm : dm) + {31'd0, gw[7]}; gw = gw >> 8;
      end
    end
    rq_r = rsh; cl_lo = lo; cl_hi = hi;
    case (op)
      OP_CONV, OP_ADDER: begin rq_r = {{24{shift_q[7]}}, shift_q}; cl_hi = {{16{clamp_q[15]}}, clamp_q}; end
      OP_AVG: begin cl_lo = -32'sd2147483647 - 32'sd1; cl_hi = 32'sd2147483647; end
      default: ;
    endcase
    y_q = clamp(requant(q_r, r_r, wide), lo_r, hi_r);
    y_lane = (op == OP_MAX) ? acc[0] : y_q;
    y_elem = (op == OP_LUT) ? q_r : y_q;
    tw = terms_q; wt = terms_q;
    for (l = 0; l < P; l = l + 1) begin
      sum = acc[l];
      // acc - |d| is acc + d for d < 0 and acc + ~d + 1 otherwise: the first term's adder with its carry in.
      wl = wt[WBX-1:0]; wt = wt >> WBX;
      dx = $signed({{2{x_tap[15]}}, x_tap}) - $signed({{(18-WBX){wl[WBX-1]}}, wl});
      for (k = 0; k < K; k = k + 1) begin
        cfield = tw[CB-1:0]; tm = term_mag({{(8-CB){cfield[CB-1]}}, cfield}, x_in); tneg = cfield[CB-1];
        if (is_adder) begin tm = (k == 0) ? {{14{dx[17]}}, dx} : 32'sd0; tneg = k == 0 && !dx[17]; end
        sum = sum + (tneg ? ~tm : tm) + {31'd0, tneg}; tw = tw >> CB;
      end
      acc_next[l] = sum;
    end
  end

  task start_taps;
    integer n;
    begin
      c <= 0; kh <= 0; kw <= 0; t <= 0; cOff <= 0; khW <= 0;
      for (n = 0; n < P; n = n + 1) acc[n] <= (op == OP_MAX) ? -32'sd32768 : 32'sd0;
    end
  endtask

  task end_step;
    begin
      step_done <= 1'b1; step <= step + 16'd1; pc <= pc + NF[AW-1:0]; ld_i <= 0; state <= S_LOAD;
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
      if (tap_d2 && (valid_d2 || is_adder)) begin
        if (op == OP_CONV || is_adder) begin
          for (n2 = 0; n2 < P; n2 = n2 + 1) acc[n2] <= acc_next[n2];
        end else if (op == OP_MAX) begin
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
          xg <= fX; ygr <= fY; yq <= fY; cgr <= fCHAN; chq <= fCHAN; ggr <= fGAIN; gq <= fGAIN; tb <= fTERMS;
          ih0 <= -$signed({1'b0, fPADT}); iw0 <= -$signed({1'b0, fPADL}); ih0W <= -fPADTW;
          start_taps;
          case (op)
            OP_END: begin busy <= 1'b0; done <= 1'b1; state <= S_IDLE; end
            OP_CONV, OP_MAX, OP_AVG, OP_ADDER: state <= S_TAP;
            OP_QADD, OP_REQ, OP_LUT: state <= S_E1;
            default: begin busy <= 1'b0; done <= 1'b1; state <= S_IDLE; end
          endcase
        end
        S_TAP: begin
          raddr <= tap_addr; t_addr <= tb + t; tap_d <= 1'b1; valid_d <= tap_valid; t <= t + 1;
          if (kw + 1 != fKW) kw <= kw + 1;
          else begin
            kw <= 0;
            if (kh + 1 != fKH) begin kh <= kh + 1; khW <= khW + fW; end
            else begin kh <= 0; khW <= 0; c <= c + 1; cOff <= cOff + fHW; end
          end
          if (last_tap) state <= S_DRAIN;
        end
        S_DRAIN: begin j <= 0; wa <= yq + pos; state <= S_DRAIN2; end
        S_DRAIN2: state <= S_PREAD;
        S_PREAD: begin
          c_addr <= chq + j; g_addr <= gq + j; state <= S_WAIT;
          ret <= (op == OP_AVG) ? S_CSD : S_GAIN; csd_a <= 32'sd0; cj <= 5'd0;
        end
        S_WAIT: state <= ret;
        S_CSD: begin
          csd_a <= csd_next; cj <= cj + 5'd1;
          if (cj == f[F_CSDD][4:0]) state <= S_GAIN;
        end
        S_GAIN: begin q_r <= (op == OP_AVG) ? csd_a : v; r_r <= rq_r; lo_r <= cl_lo; hi_r <= cl_hi; state <= S_PWRITE; end
        S_PWRITE: begin
          we <= 1'b1; waddr <= wa; wdata <= y_lane[15:0];
          if (j + 1 < PA && j + 1 < lanes_left) begin j <= j + 1; wa <= wa + fPLANE; state <= S_PREAD; end
          else begin
            state <= S_TAP; start_taps; pos <= pos + 1;
            if (ow + 1 != fOW) begin ow <= ow + 1; iw0 <= iw0 + $signed({1'b0, fSW}); end
            else begin
              ow <= 0; iw0 <= -$signed({1'b0, fPADL});
              if (oh + 1 != fOH) begin oh <= oh + 1; ih0 <= ih0 + $signed({1'b0, fSH}); ih0W <= ih0W + fSHW; end
              else begin
                oh <= 0; ih0 <= -$signed({1'b0, fPADT}); ih0W <= -fPADTW; pos <= 0; tb <= tb + fD;
                if (q + PA < fMPG) begin q <= q + PA; yq <= yq + fLPLANE; chq <= chq + PA; gq <= gq + PA; end
                else if (gr + 1 != fGROUPS) begin
                  gr <= gr + 1; q <= 0; xg <= xg + fGIN;
                  ygr <= ygr + fGOUT; yq <= ygr + fGOUT; cgr <= cgr + fMPG; chq <= cgr + fMPG;
                  ggr <= ggr + fMPG; gq <= ggr + fMPG;
                end else end_step;
              end
            end
          end
        end
        // Elementwise ops: the operand(s) arrive, q_r holds the value to requantise (QAdd: aligned sum; Lut: the
        // table's entry), then S_E4 requantises, clamps and writes it: a pipeline stage like S_GAIN's.
        S_E1: begin raddr <= fX + i; al_sh <= f[F_ALA][4:0]; state <= S_WAIT; ret <= S_E2; end
        S_E2: begin
          if (op == OP_QADD) begin a_r <= x_al; raddr <= fX2 + i; al_sh <= f[F_ALB][4:0]; state <= S_WAIT; ret <= S_E3; end
          else if (op == OP_LUT) begin l_addr <= fLUT + x_in[AW-1:0] + 'd128; state <= S_WAIT; ret <= S_E3; end
          else begin q_r <= x_in; r_r <= rq_r; lo_r <= cl_lo; hi_r <= cl_hi; state <= S_E4; end
        end
        S_E3: begin
          q_r <= (op == OP_QADD) ? a_r + x_al : {{24{lut_q[7]}}, lut_q}; r_r <= rq_r; lo_r <= cl_lo; hi_r <= cl_hi; state <= S_E4;
        end
        S_E4: begin
          we <= 1'b1; waddr <= fY + i; wdata <= y_elem[15:0];
          i <= i + 1; if (i + 1 == fN) end_step; else state <= S_E1;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
