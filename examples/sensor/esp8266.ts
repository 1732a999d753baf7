/** The sensor example on a NodeMCU (ESP8266). */
import { main } from './app';
import { ESP8266_NODEMCU } from '../../boards/profiles';

main(ESP8266_NODEMCU);
