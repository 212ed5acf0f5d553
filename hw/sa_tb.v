// Testbench: loads a test vector, runs the engine, checks every layer's output against runInteger's, reports cycles.
`include "sa_tb.vh"
// The activation memory's words, wherever the engine keeps them (block RAM array or the SPRAM model's).
`ifdef SA_SPRAM
`define SA_ACT(a) dut.u_act.g_spram.ram.mem[a]
`else
`define SA_ACT(a) dut.u_act.g_bram.mem[a]
`endif
module sa_tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg start = 1'b0;
  reg host_we = 1'b0;
  reg [19:0] host_addr = 20'd0;
  reg [15:0] host_wdata = 16'd0;
  wire busy, done, step_done;
  wire [15:0] step, host_rdata;
  sa_engine #(
    .P(`SA_P), .K(`SA_K), .CB(`SA_CB), .G(`SA_G), .TW(`SA_TW), .GW(`SA_GW), .WB(`SA_WB), .ACT_DEPTH(`SA_ACT_DEPTH),
    .TERMS_DEPTH(`SA_TERMS_DEPTH), .CHAN_DEPTH(`SA_CHAN_DEPTH), .GAIN_DEPTH(`SA_GAIN_DEPTH), .LUT_DEPTH(`SA_LUT_DEPTH),
    .PROG_DEPTH(`SA_PROG_DEPTH), .TERMS_FILE(`SA_TERMS_FILE), .BIAS_FILE(`SA_BIAS_FILE), .SHIFT_FILE(`SA_SHIFT_FILE),
    .GAIN_FILE(`SA_GAIN_FILE), .CLAMP_FILE(`SA_CLAMP_FILE), .LUT_FILE(`SA_LUT_FILE), .PROG_FILE(`SA_PROG_FILE),
    .SPRAM(`SA_SPRAM_ON), .SP_COLS(`SA_SP_COLS), .SP_PACK(`SA_SP_PACK), .SP_BANKS(`SA_SP_BANKS)
  ) dut (
    .clk(clk), .rst(rst), .start(start), .busy(busy), .done(done), .step_done(step_done), .step(step),
    .host_we(host_we), .host_addr(host_addr), .host_wdata(host_wdata), .host_rdata(host_rdata)
  );
  always #5 clk = !clk;

  reg [15:0] inbuf [0:`SA_INPUT_SIZE-1];
  reg [15:0] spbuf [0:`SA_SP_WORDS-1];
  integer sc, sr;
  reg [31:0] check [0:`SA_CHECK_WORDS-1];
  reg [15:0] want [0:`SA_WANT_SIZE-1];
  reg [4095:0] file;
  integer n, w, errors, cycles, fd;
  reg [2:0] pending;
  reg [15:0] last_step;
  initial begin
    errors = 0; cycles = 0; pending = 3'd0;
    if (!$value$plusargs("input=%s", file)) begin $display("ERROR no +input="); $finish; end
    $readmemh(file, inbuf);
    if (!$value$plusargs("want=%s", file)) begin $display("ERROR no +want="); $finish; end
    $readmemh(file, want);
    $readmemh(`SA_CHECK_FILE, check);
    repeat (2) @(posedge clk);
`ifdef SA_SPRAM
    // SPRAMs start empty: load the term rows over the host port, column by column, as a board's host would.
    $readmemh(`SA_SP_FILE, spbuf);
    n = 0;
    for (sc = 0; sc < `SA_SP_COLS; sc = sc + 1)
      for (sr = 0; sr < `SA_SP_ROWS; sr = sr + 1) begin
        @(negedge clk);
        host_we = 1'b1; host_addr = {2'b10, sc[1:0], sr[15:0]}; host_wdata = spbuf[n]; n = n + 1;
      end
`endif
    for (n = 0; n < `SA_INPUT_SIZE; n = n + 1) begin
      @(negedge clk);
      host_we = 1'b1; host_addr = `SA_INPUT_BASE + n;
      host_wdata = (`SA_INPUT_BITS == 8) ? {{8{inbuf[n][7]}}, inbuf[n][7:0]} : inbuf[n];
    end
    @(negedge clk); host_we = 1'b0; rst = 1'b0;
    @(negedge clk); start = 1'b1;
    @(negedge clk); start = 1'b0;
    while (!done) begin @(posedge clk); cycles = cycles + 1; end
    repeat (3) @(posedge clk);
    if ($value$plusargs("output=%s", file)) begin
      fd = $fopen(file, "w");
      for (n = 0; n < `SA_OUTPUT_SIZE; n = n + 1) $fwrite(fd, "%h\n", `SA_ACT(`SA_OUTPUT_BASE + n));
      $fclose(fd);
    end
    $display("CYCLES %0d", cycles);
    $display("ERRORS %0d", errors);
    $finish;
  end

  // Two cycles after a record ends its last write has landed: compare the layer's output region word by word.
  always @(posedge clk) begin
    pending <= {pending[1:0], step_done};
    if (step_done) last_step <= step - 16'd1;
    if (pending[1] && check[{last_step, 2'b00} + 3] != 32'hffffffff) begin
      for (w = 0; w < check[{last_step, 2'b00} + 1]; w = w + 1) begin
        if (`SA_ACT(check[{last_step, 2'b00}] + w) !== want[check[{last_step, 2'b00} + 3] + w]) begin
          if (errors < 10) $display("MISMATCH record %0d layer %0d word %0d got %h want %h", last_step, check[{last_step, 2'b00} + 2],
            w, `SA_ACT(check[{last_step, 2'b00}] + w), want[check[{last_step, 2'b00} + 3] + w]);
          errors = errors + 1;
        end
      end
      $display("LAYER %0d checked at cycle %0d", check[{last_step, 2'b00} + 2], cycles);
    end
  end
endmodule
