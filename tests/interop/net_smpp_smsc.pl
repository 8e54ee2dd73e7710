#!/usr/bin/perl
# A small SMSC built on Perl's Net::SMPP (Debian libnet-smpp-perl), used by
# tests/interop/test_net_smpp.py as an SMPP 3.4 peer we did not write.
#
#   perl net_smpp_smsc.pl PORT [--connections N]
#
# Listens on 127.0.0.1:PORT (0: any free port) and prints "LISTENING <port>" once ready. Serves
# connections one after the other and exits after N of them have ended (default 1).
#
# * bind_transmitter/receiver/transceiver: accepted (system_id "PERLSMSC");
# * submit_sm: answered with an incrementing decimal message id; when registered_delivery asks
#   for a receipt, a deliver_sm receipt follows at once (esm_class 4, Appendix B text, plus the
#   receipted_message_id and message_state TLVs);
# * a submit_sm whose short_message is "SENDSTOP" also makes the phone it was sent to answer
#   "STOP": a mobile-originated deliver_sm from its destination_addr to its source_addr;
# * enquire_link: answered; unbind: answered, then the connection ends.
#
# Every PDU received is logged on stdout as one JSON object per line (short_message in hex), so
# the test can assert on exactly what arrived on the wire.
use strict;
use warnings;
use Net::SMPP;
use JSON::PP;

use constant {
    BIND_RECEIVER     => 0x00000001,
    BIND_TRANSMITTER  => 0x00000002,
    SUBMIT_SM         => 0x00000004,
    DELIVER_SM_RESP   => 0x80000005,
    UNBIND            => 0x00000006,
    BIND_TRANSCEIVER  => 0x00000009,
    ENQUIRE_LINK      => 0x00000015,
    ESME_RINVCMDID    => 0x00000003,
    ESM_CLASS_RECEIPT => 0x04,
    MSGSTATE_DELIVERED => 2,
};

my $port = shift @ARGV;
defined $port && $port =~ /^\d+$/ or die "usage: $0 PORT [--connections N]\n";
my $connections = 1;
while (@ARGV) {
    my $opt = shift @ARGV;
    if ($opt eq '--connections') { $connections = shift @ARGV; }
    else { die "unknown option $opt\n"; }
}

$| = 1;
my $json = JSON::PP->new->canonical->utf8;
sub emit { print $json->encode({@_}), "\n"; }

my $listener = Net::SMPP->new_listen('127.0.0.1', port => $port, system_id => 'PERLSMSC',
                                     timeout => 60)
    or die "cannot listen on 127.0.0.1:$port: $!\n";
print "LISTENING ", $listener->sockport, "\n";

my $next_id = 1000001;
for my $n (1 .. $connections) {
    my $conn = $listener->accept or die "accept failed: $!\n";
    emit(event => 'connect');
    serve($conn);
    close $conn;
}
exit 0;

sub serve {
    my ($smpp) = @_;
    my %pending;  # sequence number of a deliver_sm we sent -> what to log when it is answered
    while (1) {
        my $pdu = $smpp->read_pdu;
        if (!defined $pdu) {
            emit(event => 'eof');
            return;
        }
        my $cmd = $pdu->{cmd};
        my $seq = $pdu->{seq};
        if ($cmd == BIND_TRANSCEIVER || $cmd == BIND_TRANSMITTER || $cmd == BIND_RECEIVER) {
            my %kind = (BIND_TRANSCEIVER, 'transceiver', BIND_TRANSMITTER, 'transmitter',
                        BIND_RECEIVER, 'receiver');
            emit(event => 'bind', mode => $kind{$cmd}, system_id => $pdu->{system_id},
                 password => $pdu->{password}, system_type => $pdu->{system_type},
                 interface_version => $pdu->{interface_version});
            my $method = "bind_$kind{$cmd}_resp";
            $smpp->$method(seq => $seq, system_id => 'PERLSMSC');
        } elsif ($cmd == SUBMIT_SM) {
            my $id = $next_id++;
            my $text = $pdu->{short_message};
            emit(event => 'submit_sm', message_id => "$id",
                 map({ $_ => $pdu->{$_} } qw(source_addr_ton source_addr_npi source_addr
                     dest_addr_ton dest_addr_npi destination_addr esm_class
                     registered_delivery data_coding)),
                 short_message => unpack('H*', $text));
            $smpp->submit_sm_resp(seq => $seq, message_id => "$id");
            if ($pdu->{registered_delivery} & 0x03) {
                my $receipt_seq = $smpp->deliver_sm(
                    async            => 1,
                    source_addr_ton  => $pdu->{dest_addr_ton},
                    source_addr_npi  => $pdu->{dest_addr_npi},
                    source_addr      => $pdu->{destination_addr},
                    dest_addr_ton    => $pdu->{source_addr_ton},
                    dest_addr_npi    => $pdu->{source_addr_npi},
                    destination_addr => $pdu->{source_addr},
                    esm_class        => ESM_CLASS_RECEIPT,
                    short_message    => "id:$id sub:001 dlvrd:001 submit date:2411241200 "
                        . "done date:2411241200 stat:DELIVRD err:000 text:",
                    receipted_message_id => "$id\0",
                    message_state        => pack('C', MSGSTATE_DELIVERED),
                );
                $pending{$receipt_seq} = { event => 'receipt_acked', message_id => "$id" };
            }
            if ($pdu->{data_coding} == 0 && $text eq 'SENDSTOP') {
                my $mo_seq = $smpp->deliver_sm(
                    async            => 1,
                    source_addr_ton  => 1,
                    source_addr_npi  => 1,
                    source_addr      => $pdu->{destination_addr},
                    dest_addr_ton    => $pdu->{source_addr_ton},
                    dest_addr_npi    => $pdu->{source_addr_npi},
                    destination_addr => $pdu->{source_addr},
                    short_message    => 'STOP',
                );
                $pending{$mo_seq} = { event => 'mo_acked' };
            }
        } elsif ($cmd == DELIVER_SM_RESP) {
            my $sent = delete $pending{$seq} || { event => 'unexpected_deliver_sm_resp' };
            emit(%$sent, seq => $seq, status => $pdu->{status});
        } elsif ($cmd == ENQUIRE_LINK) {
            emit(event => 'enquire_link');
            $smpp->enquire_link_resp(seq => $seq);
        } elsif ($cmd == UNBIND) {
            emit(event => 'unbound');
            $smpp->unbind_resp(seq => $seq);
            return;
        } elsif (!($cmd & 0x80000000)) {
            emit(event => 'unknown', command_id => sprintf('0x%08x', $cmd));
            $smpp->generic_nack(seq => $seq, status => ESME_RINVCMDID);
        } else {
            emit(event => 'response', command_id => sprintf('0x%08x', $cmd), status => $pdu->{status});
        }
    }
}
